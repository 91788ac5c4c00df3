"""The example third-party backend, installed as a user would, passes the conformance kit.

One virtual environment for the module: eojobs (from this checkout, not
editable), pytest and the example are pip-installed into it, as a backend
author's would be. The pip cache makes it quick after the first run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "eojobs-local"


class Venv:
    """A virtual environment, and how to run its Python."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bin = path / ("Scripts" if os.name == "nt" else "bin")

    def run(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("EOJOBS_", "PYTEST_", "PYTHON", "VIRTUAL_ENV"))}
        env["EOJOBS_HOME"] = str(self.path / "eojobs-home")
        return subprocess.run([str(self.bin / "python"), *map(str, args)], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def example_venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    made = Venv(tmp_path_factory.mktemp("example-venv"))
    venv.EnvBuilder(with_pip=True).create(made.path)
    installed = made.run("-m", "pip", "install", "--quiet", ROOT, EXAMPLE, "pytest")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return made


def test_the_example_is_found_through_its_entry_point(example_venv: Venv) -> None:
    listed = example_venv.run("-m", "eojobs", "backends")
    assert listed.returncode == 0, listed.stderr
    [line] = [line for line in listed.stdout.splitlines() if line.split()[:1] == ["local"]]
    assert "Jobs run on this machine" in line


def test_the_example_passes_the_conformance_kit(example_venv: Venv, tmp_path: Path) -> None:
    ran = example_venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
                           "--basetemp", tmp_path / "basetemp", EXAMPLE / "tests", cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert " passed" in ran.stdout and "failed" not in ran.stdout
    # What the example does not offer is reported as skipped, by name.
    assert "the local backend does not offer job logs (logs)" in ran.stdout


def test_the_kit_says_what_to_define_without_a_subject(example_venv: Venv,
                                                       tmp_path: Path) -> None:
    (tmp_path / "test_bare.py").write_text(
        "from eojobs.testing import Conformance\n\n\n"
        "class TestConformance(Conformance):\n    pass\n")
    ran = example_venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           tmp_path / "test_bare.py", cwd=tmp_path)
    assert ran.returncode == 1
    assert "needs a fixture named 'eojobs_subject'" in ran.stdout


def test_loading_the_plugin_imports_nothing_of_eojobs_but_its_package(
        example_venv: Venv) -> None:
    code = ("import json, sys, eojobs.testing.plugin; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('eojobs'))))")
    ran = example_venv.run("-c", code)
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == ["eojobs", "eojobs.errors", "eojobs.hookspecs",
                                      "eojobs.testing", "eojobs.testing.plugin"]


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("the venv's layout is a POSIX one here")
