from __future__ import annotations

import inspect
from pathlib import Path

from eojobs.cli import cli

ROOT = Path(__file__).parent.parent


def test_every_command_is_in_the_readme_or_the_guide():
    text = "".join((ROOT / name).read_text()
                   for name in ("README.md", "docs/getting-started.md", "docs/fusion.md",
                                "docs/openeo.md"))
    for name in cli.commands:
        assert f"eojobs {name}" in text, f"command {name} is not documented"


def test_every_public_name_has_a_docstring():
    import eojobs

    for name in eojobs.__all__:
        obj = getattr(eojobs, name)
        assert inspect.getdoc(obj), f"eojobs.{name} has no docstring"
