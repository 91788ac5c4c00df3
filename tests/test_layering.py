"""The import rules of the architecture, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent


def imports(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(f"{path} imports {name}" for path, names in imports(package).items()
                  for name in names if name.startswith(forbidden))


def test_the_core_knows_no_backend():
    assert offenders("eojobs", ("eojobs_mock", "eojobs_fusion")) == []


def test_the_mock_server_and_the_fusion_client_share_no_wire_code():
    # The mock simulates Fusion, so it has some of Fusion's extras and shares their types.
    shared = [f for f in offenders("eojobs_mock", ("eojobs_fusion",))
              if not f.endswith(" imports eojobs_fusion.extras")]
    assert shared == []
    assert offenders("eojobs_fusion", ("eojobs_mock",)) == []
