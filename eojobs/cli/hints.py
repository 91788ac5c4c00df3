"""What to type next after a library error: the CLI's wording, from the error's fields."""

from __future__ import annotations

import click

from eojobs.cli.common import command_hint
from eojobs.errors import EOJobsError, NoResults, NotStarted, WaitTimeout
from eojobs.manifest import FolderClash


def next_step(ctx: click.Context, error: EOJobsError) -> str:
    """A command line that helps after ``error``, as ``"wait again with: eojobs wait ID"``."""
    if ctx.obj is None or ctx.obj._connection is None:
        return ""
    if isinstance(error, WaitTimeout) and error.job_ids:
        return f"wait again with: {command_hint(ctx, 'wait', *error.job_ids)}"
    if isinstance(error, NotStarted):
        return f"start it with: {command_hint(ctx, 'start', *error.job_ids)}"
    if isinstance(error, NoResults) and error.status == "created":
        return f"start it with: {command_hint(ctx, 'start', error.job_id)}"
    if isinstance(error, NoResults) and error.status in ("running", "scheduled"):
        return f"wait for it with: {command_hint(ctx, 'wait', error.job_id)}"
    if isinstance(error, FolderClash):
        elsewhere = command_hint(ctx, "download", error.job_id, "--dir", str(error.elsewhere))
        return f"to keep both: {elsewhere}; to replace them, add --overwrite"
    return ""
