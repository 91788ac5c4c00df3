"""The command tree the documentation site shows: ``docs/cli.md`` renders it with mkdocs-click.

mkdocs-click reads ``eojobs.cli.site:cli``, a copy of the root group in which
every command is loaded, those that plugins add through ``register_commands``
included, however the root group comes to list them. Each help text is made
into Markdown that keeps the lines click prints as they are (the paragraphs
marked ``\\b``, such as the examples) as a block of text.
"""

from __future__ import annotations

import copy
import inspect

import click

from eojobs.cli import cli as root

#: The marker click puts before a paragraph that it must not rewrap.
NO_REWRAP = "\b"


def loaded(command: click.Command, parent: click.Context | None = None) -> click.Command:
    """A copy of ``command`` whose groups hold every command they list, with Markdown help."""
    shown = copy.copy(command)
    if command.help:
        shown.help = markdown_help(command.help)
    if isinstance(command, click.Group) and isinstance(shown, click.Group):
        ctx = click.Context(command, info_name=command.name, parent=parent)
        found = {name: command.get_command(ctx, name) for name in command.list_commands(ctx)}
        shown.commands = {name: loaded(sub, ctx) for name, sub in found.items()
                          if sub is not None}
    return shown


def markdown_help(text: str) -> str:
    """Help text as Markdown: each paragraph marked not to be rewrapped becomes a text block.

    A marked paragraph whose first line ends with a colon (``Examples:``)
    keeps that line as prose above the block.
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    out = []
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if not lines or lines[0].strip() != NO_REWRAP:
            out.append(paragraph)
            continue
        lines = lines[1:]
        if lines and lines[0].rstrip().endswith(":"):
            out.append(lines.pop(0).strip())
        if lines:
            out.append("\n".join(["```text", *_dedent(lines), "```"]))
    return "\n\n".join(out)


def _dedent(lines: list[str]) -> list[str]:
    margin = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return [line[margin:] for line in lines]


#: The root group with everything loaded, for ``::: mkdocs-click`` (``:command: cli``).
cli = loaded(root)
