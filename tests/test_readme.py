"""Every command of the README runs as written, in a fresh folder, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def offline_blocks() -> list[str]:
    """The shell blocks that use the mock: not the install block, not the Fusion one."""
    return [b for b in blocks("sh") if "pip install" not in b and "fusion" not in b]


def test_the_readme_has_the_blocks_this_test_runs():
    assert len(offline_blocks()) == 4 and len(blocks("python")) == 1
    first = blocks("sh")[0]
    assert first == 'pip install -e ".[test]"\npytest\n'


@pytest.mark.parametrize("number", range(4))
def test_each_shell_block_runs_as_written(workdir: Path, number: int):
    script = offline_blocks()[number]
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=workdir,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert "Traceback" not in done.stderr
    if "ls out/" in script:
        listed = done.stdout.split()
        assert {"elevation.tif", "elevation.png", "statistics.csv",
                "footprint.geojson"} <= set(listed)


def test_the_python_example_runs_as_written(workdir: Path):
    done = subprocess.run([sys.executable, "-c", blocks("python")[0]], cwd=workdir,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    price, report = done.stdout.splitlines()[:2]
    assert float(price) > 0
    assert report.endswith("[] []")  # nothing skipped, nothing failed
    [folder] = (workdir / "example").iterdir()
    assert sorted(p.name for p in folder.iterdir() if p.name[0] != ".") == [
        "elevation.png", "elevation.tif", "footprint.geojson", "statistics.csv"]
    again = subprocess.run([sys.executable, "-c", blocks("python")[0]], cwd=workdir,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr  # the example runs again as it is


def test_shell_completion_as_the_readme_gives_it(workdir: Path):
    line = next(b for b in blocks("sh") if "_EOJOBS_COMPLETE" in b).split("#")[0].strip()
    script = f"{line}\ncomplete -p eojobs\n"
    done = subprocess.run(["bash", "-c", script], cwd=workdir, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "eojobs" in done.stdout and "complete" in done.stdout
    words = subprocess.run(["eojobs"], env={**os.environ, "_EOJOBS_COMPLETE": "bash_complete",
                                            "COMP_WORDS": "eojobs cre", "COMP_CWORD": "1"},
                           capture_output=True, text=True, timeout=60)
    assert "plain,create" in words.stdout.splitlines()


def test_region_arguments_complete_file_names(workdir: Path):
    for words, cword in (("eojobs region tests/da", "2"), ("eojobs run elevation -r tests/da",
                                                            "4")):
        done = subprocess.run(["eojobs"], env={**os.environ, "_EOJOBS_COMPLETE": "bash_complete",
                                               "COMP_WORDS": words, "COMP_CWORD": cword},
                              cwd=workdir, capture_output=True, text=True, timeout=60)
        assert done.stdout.splitlines() == ["file,tests/da"], (words, done.stdout)
