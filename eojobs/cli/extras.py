"""Commands for features some backends have: dispatchers, copying jobs, keeping outputs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from eojobs.cli.common import (
    IsoDateTime,
    announce_created,
    assume_utc,
    job_dict,
    option_notices,
    parse_option_pairs,
)
from eojobs.cli.output import emit, notice, table


@click.group()
def dispatchers() -> None:
    """List, add, configure and remove a job's dispatchers.

    A dispatcher delivers a job's outputs when it finishes, for example by
    e-mail or to a bucket.

    \b
    Examples:
      eojobs -b fusion dispatchers list JOB
      eojobs -b fusion dispatchers add JOB "Email Dispatcher" -o emails=me@example.com
      eojobs -b fusion dispatchers remove JOB "Email Dispatcher"
    """


def _job(ctx: click.Context, job_id: str, capability: str = "dispatchers",
         what: str = "dispatchers") -> Any:
    """The job, after checking that the backend has the feature at all."""
    from eojobs.models import Capability

    conn = ctx.find_root().obj.connection()
    conn.require(Capability(capability), what)
    return conn.job(job_id)


def _show(ctx: click.Context, found: list) -> None:
    from eojobs.redact import is_sensitive

    def masked(options: dict[str, object]) -> dict[str, object]:
        return {k: "REDACTED" if v is not None and is_sensitive(k) else v
                for k, v in options.items()}

    emit(ctx, lambda: [{**d.model_dump(mode="json"), "options": masked(d.options)}
                       for d in found], lambda: table(
        ["name", "attached", "options", "summary"],
        [[d.name, d.attached, [f"{k}={v}" for k, v in masked(d.options).items()], d.summary]
         for d in found]))


@dispatchers.command("list")
@click.argument("job_id")
@click.pass_context
def list_dispatchers(ctx: click.Context, job_id: str) -> None:
    """List the dispatchers JOB can use, and which are attached."""
    _show(ctx, _job(ctx, job_id).dispatchers())


@dispatchers.command("add")
@click.argument("job_id")
@click.argument("name")
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A dispatcher option; repeat for more.")
@click.pass_context
def add_dispatcher(ctx: click.Context, job_id: str, name: str, options: tuple[str, ...]) -> None:
    """Attach the dispatcher NAME to JOB."""
    job = _job(ctx, job_id)
    job.add_dispatcher(name, parse_option_pairs(options))
    _show(ctx, job.dispatchers())


@dispatchers.command("configure")
@click.argument("job_id")
@click.argument("name")
@click.option("-o", "--option", "options", multiple=True, required=True, metavar="NAME=VALUE",
              help="A dispatcher option to change; repeat for more.")
@click.pass_context
def configure_dispatcher(ctx: click.Context, job_id: str, name: str,
                         options: tuple[str, ...]) -> None:
    """Change the options of the attached dispatcher NAME."""
    job = _job(ctx, job_id)
    job.configure_dispatcher(name, parse_option_pairs(options))
    _show(ctx, job.dispatchers())


@dispatchers.command("remove")
@click.argument("job_id")
@click.argument("name")
@click.pass_context
def remove_dispatcher(ctx: click.Context, job_id: str, name: str) -> None:
    """Detach the dispatcher NAME from JOB."""
    job = _job(ctx, job_id)
    job.remove_dispatcher(name)
    _show(ctx, job.dispatchers())


@click.command()
@click.argument("job_id")
@click.option("-n", "--name", help="Name of the copy (default: '<name> (copy)').")
@click.pass_context
def copy(ctx: click.Context, job_id: str, name: str | None) -> None:
    """Copy JOB into a new, unstarted job with the same settings; prints its id.

    \b
    Example:
      eojobs copy 3f2a9c1e --name "again next week"
    """
    new = _job(ctx, job_id, "copy", "copying jobs").copy(name)
    announce_created(ctx, new)
    emit(ctx, job_dict(new), lambda: None)


@click.command()
@click.argument("job_id")
@click.argument("until", metavar="UNTIL", type=IsoDateTime())
@click.option("--execution", help="Only this execution (default: all of the job's).")
@click.pass_context
def keep(ctx: click.Context, job_id: str, until: datetime, execution: str | None) -> None:
    """Keep JOB's outputs until UNTIL (changes their delete expiry).

    \b
    Example:
      eojobs -b fusion keep 3f2a9c1e 2027-01-31
    """
    job = _job(ctx, job_id, "delete-expiry", "changing when outputs are deleted")
    with option_notices(ctx):
        until = assume_utc(until, "UNTIL")
        job.keep_until(until, execution)
    notice(ctx, f"job {job.id}: outputs kept until {until.isoformat()}")
    emit(ctx, {"id": job.id, "keep_until": until.isoformat()}, lambda: None)


COMMANDS = [dispatchers, copy, keep]
