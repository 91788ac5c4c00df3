"""What to type next after a library error: the CLI's wording, from the error's fields.

The library words the fixes it suggests in Python terms (``repair=True``);
:data:`FIXES` words each as the command line does (``--repair``).
"""

from __future__ import annotations

import click

from eojobs.cli.common import command_hint
from eojobs.errors import (
    EOJobsError,
    Fix,
    Message,
    NoResults,
    NotStarted,
    WaitTimeout,
    message_of,
)
from eojobs.manifest import FolderClash

#: Each :class:`~eojobs.errors.Fix` by name, as a flag or command; ``{value}`` is its value.
FIXES = {
    "repair": "--repair",
    "swap_xy": "--swap-xy",
    "crs": "--region-crs {value}",
    "buffer_m": "--buffer {value:g}",
    "simplify_m": "--simplify {value:g}m",
    "Region.parse_each": "--per-feature",
    "overwrite": "--overwrite",
    "eojobs.jobfile.job_document": "`eojobs define JOB > job.yaml`",
    "Backend.login": "`eojobs login`",
    "options": "-o {value.name}=VALUE",
    "backend": "-b {value}",
    "db": "--db {value}",
}


def flag(fix: Fix) -> str:
    """``fix`` as the command line gives it (``--simplify 250m``); in Python terms if unknown."""
    words = FIXES.get(fix.name)
    return str(fix) if words is None else words.format(value=fix.value)


def in_cli_words(text: str) -> str:
    """``text`` with the fixes it suggests, if it is a Message, worded as flags and commands."""
    return text.render(flag) if isinstance(text, Message) else text


def error_text(error: BaseException) -> str:
    """The message of ``error`` in the command line's words."""
    return in_cli_words(message_of(error))


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
