"""The Python examples of the documentation site run as written, in a fresh folder.

Every fenced ``python`` block of a page in docs/ runs, in order, in one
interpreter per page, so a block may use what an earlier block of its page
defined, as a reader following the page would. A block that cannot run here
(it needs an account on a real platform, say) is marked by an HTML comment
on the line before its fence, which the site does not show:

    <!-- needs: an openEO back-end -->

The marked blocks are skipped, and counted: EXPECTED states how many blocks
of each page run and how many are skipped, so that a marker cannot quietly
stop a page's examples from being tried. The Fusion guide's blocks run
against ``eojobs mock serve`` on 127.0.0.1, as the guide says they may.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"

#: Per page: (blocks run, blocks skipped by a ``needs`` marker).
EXPECTED = {
    "index.md": (1, 0),
    "getting-started.md": (8, 0),
    "python.md": (13, 0),
    "batch.md": (1, 0),
    "fusion.md": (3, 0),
    "openeo.md": (0, 3),
    "stac.md": (0, 2),
    "plugins.md": (4, 1),
    "cli.md": (0, 0),
}
#: Pages whose blocks run against `eojobs mock serve` through the fusion backend.
ON_MOCK_SERVER = {"fusion.md"}

FENCE = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)
NEEDS = re.compile(r"<!--\s*needs:\s*(\S.*?)\s*-->")


@dataclass(frozen=True)
class Block:
    """One fenced python block of a page."""

    page: str
    line: int
    code: str
    needs: str | None


def python_blocks(page: str) -> list[Block]:
    """The page's python blocks, each with the ``needs`` marker just above its fence."""
    text = (DOCS / page).read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NEEDS.fullmatch(before.strip())
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(page, line, match.group(1), marker.group(1) if marker else None))
    return found


#: Runs the blocks of one page, in order, in one namespace; stops at the first that fails.
DRIVER = """
import json, sys, traceback
namespace = {"__name__": "__main__"}
for block in json.load(open(sys.argv[1])):
    where = f"{block['page']} line {block['line']}"
    print(f"--- {where}", flush=True)
    try:
        exec(compile(block["code"], where, "exec"), namespace)
    except BaseException:
        traceback.print_exc()
        sys.exit(f"the block at {where} failed")
"""


def test_every_page_is_counted():
    assert sorted(EXPECTED) == sorted(p.name for p in DOCS.glob("*.md"))


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_the_marked_and_unmarked_blocks_are_as_many_as_expected(page: str):
    blocks = python_blocks(page)
    run = [b for b in blocks if b.needs is None]
    skipped = [f"line {b.line}: {b.needs}" for b in blocks if b.needs is not None]
    assert (len(run), len(skipped)) == EXPECTED[page], skipped


def test_a_marker_is_found_only_right_above_a_fence(tmp_path: Path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("<!-- needs: a real platform -->\n```python\nx = 1\n```\n\n"
                    "<!-- needs: further up -->\n\nText.\n\n```python\ny = 2\n```\n")
    monkeypatch.setattr(sys.modules[__name__], "DOCS", tmp_path)
    assert [(b.line, b.code, b.needs) for b in python_blocks("page.md")] == [
        (2, "x = 1\n", "a real platform"), (10, "y = 2\n", None)]


@pytest.mark.parametrize("page", sorted(p for p, (run, _) in EXPECTED.items() if run))
def test_the_python_blocks_of_a_page_run_as_written(page: str, workdir: Path,
                                                    request: pytest.FixtureRequest):
    if page in ON_MOCK_SERVER:
        request.getfixturevalue("fusion_env")
    blocks = [asdict(b) for b in python_blocks(page) if b.needs is None]
    script = workdir.parent / "blocks.json"
    script.write_text(json.dumps(blocks))
    done = subprocess.run([sys.executable, "-c", DRIVER, str(script)], cwd=workdir,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    assert done.stdout.count("--- ") == len(blocks)
