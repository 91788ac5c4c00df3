"""``eojobs openeo``: what openEO back-ends have beyond the neutral API.

The openeo plugin adds the group through the ``register_commands`` hook. From
Python the same calls are methods of the backend:
``eojobs.connect("openeo").backend.predefined_processes()`` and
``.process_graph(job_id)``.
"""

from __future__ import annotations

import json
from typing import Any

import click

from eojobs.cli.output import emit, table
from eojobs.naming import printable


@click.group()
@click.pass_context
def openeo(ctx: click.Context) -> None:
    """What openEO back-ends have beyond the common commands.

    They use the openeo backend (its settings as for `-b openeo`).

    \b
    Examples:
      eojobs openeo processes ndvi
      eojobs openeo graph 3f2a9c1e
    """
    state = ctx.find_root().obj
    if state.backend is None:
        state.backend = "openeo"
    elif state.backend.partition(":")[0].strip().lower() != "openeo":
        raise click.UsageError(f"eojobs openeo works on the openeo backend, not "
                               f"{state.backend!r}; drop -b or give -b openeo")


def _backend(ctx: click.Context) -> Any:
    return ctx.find_root().obj.connection().backend


@openeo.command()
@click.argument("search", required=False)
@click.pass_context
def processes(ctx: click.Context, search: str | None) -> None:
    """List the back-end's predefined processes, or those whose id or summary holds SEARCH."""
    found = _backend(ctx).predefined_processes()
    if search:
        needle = search.lower()
        found = [p for p in found if needle in p["id"].lower()
                 or needle in str(p.get("summary") or "").lower()]
    emit(ctx, found, lambda: table(
        ["id", "summary", "categories"],
        [[p["id"], printable(str(p.get("summary") or "")),
          [printable(str(c)) for c in p.get("categories") or [] if isinstance(c, str)]]
         for p in found]))


@openeo.command()
@click.argument("job_id")
@click.pass_context
def graph(ctx: click.Context, job_id: str) -> None:
    """Print the process graph JOB runs, as JSON (a job id or a unique prefix of it)."""
    conn = ctx.find_root().obj.connection()
    process = conn.backend.process_graph(conn.job(job_id).id)
    emit(ctx, process, lambda: click.echo(json.dumps(process, indent=2, ensure_ascii=False)))


COMMANDS = [openeo]
