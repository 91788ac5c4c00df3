"""The import rules of the architecture, checked on the source."""

from __future__ import annotations

import ast
import re
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


def core_modules() -> list[Path]:
    """The modules of the core: eojobs/ but for the command line in eojobs/cli/."""
    return sorted(path for path in (ROOT / "eojobs").rglob("*.py")
                  if path.relative_to(ROOT / "eojobs").parts[0] != "cli")


def test_the_core_does_not_import_click():
    found = imports("eojobs")
    core = [str(path.relative_to(ROOT)) for path in core_modules()]
    assert sorted(f"{path} imports {name}" for path in core for name in found[path]
                  if name == "click" or name.startswith("click.")) == []


#: A command-line flag, such as ``--repair``, or a short one before its value (``-o X=1``).
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*|(?<![\w-])-[a-zA-Z] (?=\S)")


def cli_invocation() -> re.Pattern[str]:
    """``eojobs COMMAND`` for each command the CLI has, global options allowed between."""
    from eojobs.cli import cli

    names = "|".join(sorted(map(re.escape, cli.commands), key=len, reverse=True))
    return re.compile(rf"\beojobs (?:-\S+ (?:\S+ )?)*(?:{names})\b")


def string_constants(tree: ast.AST) -> list[ast.Constant]:
    """The string constants in ``tree`` that are not docstrings (the text of f-strings too)."""
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in docstrings]


def test_the_core_holds_no_cli_wording():
    """The core's messages name Python parameters; the CLI words them as flags (cli/hints)."""
    invocation = cli_invocation()
    found = []
    for path in core_modules():
        for node in string_constants(ast.parse(path.read_text(encoding="utf-8"))):
            if FLAG.search(node.value) or invocation.search(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert found == []


def test_the_wording_checks_would_catch_cli_wording():
    tree = ast.parse('"""See `eojobs run --help`."""\n'
                     'def f(where):\n'
                     '    """Run ``eojobs wait ID``."""\n'
                     '    return (f"{where} is open; pass --repair (repair=True)",\n'
                     '            "run `eojobs -b fusion login fusion`", "eojobs keeps it",\n'
                     '            "a -- b", "x--y", "give it (-o name=VALUE)", "use -b fusion",\n'
                 '            "e-mail", "a - b", "-1 m")\n')
    invocation = cli_invocation()
    caught = sorted(node.value for node in string_constants(tree)
                    if FLAG.search(node.value) or invocation.search(node.value))
    assert caught == [" is open; pass --repair (repair=True)", "give it (-o name=VALUE)",
                      "run `eojobs -b fusion login fusion`", "use -b fusion"]
