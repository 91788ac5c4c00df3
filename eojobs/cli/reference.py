"""Renders the CLI reference (docs/cli.md) from the commands' own --help.

Regenerate the page with ``python -m eojobs.cli.reference > docs/cli.md``.
"""

from __future__ import annotations

import click

HEADER = """# CLI reference

Generated from `--help` by `python -m eojobs.cli.reference > docs/cli.md`;
a test fails when this page and the commands drift apart.
"""


def render() -> str:
    """The whole reference as Markdown."""
    from eojobs.cli import cli

    parts = [HEADER]
    for path, command in _walk(cli, ["eojobs"]):
        with click.Context(command, info_name=" ".join(path), terminal_width=88,
                           max_content_width=88, help_option_names=["-h", "--help"]) as ctx:
            text = command.get_help(ctx)
        parts.append(f"## {' '.join(path)}\n\n```text\n{text}\n```\n")
    return "\n".join(parts)


def _walk(command: click.Command, path: list[str]) -> list[tuple[list[str], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found.extend(_walk(command.commands[name], [*path, name]))
    return found


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
