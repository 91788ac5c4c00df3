"""The backend author's guide (docs/plugins.md) has an entry for every part of the SPI.

The SPI is found by introspection, not listed here, so a method or class
attribute added to ``eojobs.Backend`` (or to a base class it gains), or a new
hook in ``eojobs.hookspecs``, fails this test until the guide describes it.
"""

from __future__ import annotations

import inspect
import re
from abc import ABC
from pathlib import Path

from eojobs import hookspecs
from eojobs.backend import Backend

GUIDE = Path(__file__).parent.parent / "docs" / "plugins.md"
#: Bases whose names are Python's, not the SPI's.
NOT_SPI = (object, ABC)


def spi_names(cls: type = Backend) -> set[str]:
    """Public methods and class attributes (annotated or assigned) that ``cls`` defines."""
    names: set[str] = set()
    for base in cls.__mro__:
        if base in NOT_SPI:
            continue
        names |= {n for n in vars(base) if not n.startswith("_")}
        names |= {n for n in inspect.get_annotations(base) if not n.startswith("_")}
    return names


def hook_names() -> set[str]:
    """The hook specifications plugins may implement."""
    return {name for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
            if hasattr(f, "eojobs_spec")}


def entries(text: str) -> set[str]:
    """Names that have an entry of their own: a heading, or a definition-list term, that
    starts with the name in backticks (``### `submit(request)` `` or `` `name` `` above a
    ``:   definition`` line)."""
    found = set(re.findall(r"^#{2,6}\s+`(\w+)", text, flags=re.M))
    found |= set(re.findall(r"^`(\w+)[^`\n]*`\s*\n:\s", text, flags=re.M))
    return found


def test_the_spi_is_found_by_introspection():
    found = spi_names()
    assert {"submit", "open_asset", "login_prompts", "name", "capabilities",
            "poll_interval"} <= found
    assert not found & {"register", "mro", "__init__", "_abc_impl"}
    assert hook_names() >= {"register_backends", "register_commands"}


def test_every_backend_method_and_attribute_has_an_entry_in_the_guide():
    missing = sorted(spi_names() - entries(GUIDE.read_text()))
    assert missing == [], f"docs/plugins.md has no heading or definition for: {missing}"


def test_every_hook_has_an_entry_in_the_guide():
    missing = sorted(hook_names() - entries(GUIDE.read_text()))
    assert missing == [], f"docs/plugins.md has no heading for the hooks: {missing}"


def test_a_name_mentioned_only_in_passing_is_not_an_entry():
    text = ("## Methods\n\n### `submit(request)`\n\nCalls `start` later.\n\n"
            "`name`\n:   The backend's name.\n\n`title` is mentioned here.\n"
            "```python\n# `stop` in a comment\n```\n")
    assert entries(text) == {"submit", "name"}


def test_a_new_method_of_a_subclass_or_a_base_would_be_found():
    class Extra:
        wait_hint: float = 1.0

        def quota(self) -> int:
            """A method a future SPI might add in a mixin."""
            return 0

    class Wider(Backend, Extra):
        """Backend with one more method and attribute."""

        def pause(self, job_id: str) -> None:
            """A method a future SPI might add."""

    assert spi_names(Wider) - spi_names() == {"pause", "quota", "wait_hint"}
