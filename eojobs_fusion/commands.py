"""The ``eojobs`` commands of Fusion's extras: organisations, dispatchers, copy and keep.

The fusion plugin adds them through the ``register_commands`` hook; they work
on any backend that has the extra's method (:mod:`eojobs_fusion.extras`),
such as the mock, which simulates Fusion.
"""

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


def _job(ctx: click.Context, job_id: str, extra: str) -> Any:
    """The job, after checking that the backend has the extra's method at all."""
    from eojobs_fusion import extras

    conn = ctx.find_root().obj.connection()
    extras.method(conn, extra)
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
    from eojobs_fusion import extras

    _show(ctx, extras.dispatchers(_job(ctx, job_id, "dispatchers")))


@dispatchers.command("add")
@click.argument("job_id")
@click.argument("name")
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A dispatcher option; repeat for more.")
@click.pass_context
def add_dispatcher(ctx: click.Context, job_id: str, name: str, options: tuple[str, ...]) -> None:
    """Attach the dispatcher NAME to JOB."""
    from eojobs_fusion import extras

    job = _job(ctx, job_id, "set_dispatcher")
    extras.add_dispatcher(job, name, parse_option_pairs(options))
    _show(ctx, extras.dispatchers(job))


@dispatchers.command("configure")
@click.argument("job_id")
@click.argument("name")
@click.option("-o", "--option", "options", multiple=True, required=True, metavar="NAME=VALUE",
              help="A dispatcher option to change; repeat for more.")
@click.pass_context
def configure_dispatcher(ctx: click.Context, job_id: str, name: str,
                         options: tuple[str, ...]) -> None:
    """Change the options of the attached dispatcher NAME."""
    from eojobs_fusion import extras

    job = _job(ctx, job_id, "set_dispatcher")
    extras.configure_dispatcher(job, name, parse_option_pairs(options))
    _show(ctx, extras.dispatchers(job))


@dispatchers.command("remove")
@click.argument("job_id")
@click.argument("name")
@click.pass_context
def remove_dispatcher(ctx: click.Context, job_id: str, name: str) -> None:
    """Detach the dispatcher NAME from JOB."""
    from eojobs_fusion import extras

    job = _job(ctx, job_id, "set_dispatcher")
    extras.remove_dispatcher(job, name)
    _show(ctx, extras.dispatchers(job))


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
    from eojobs_fusion import extras

    new = extras.copy(_job(ctx, job_id, "copy_job"), name)
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
    from eojobs_fusion import extras

    job = _job(ctx, job_id, "set_delete_expiry")
    with option_notices(ctx):
        until = assume_utc(until, "UNTIL")
        extras.keep_until(job, until, execution)
    notice(ctx, f"job {job.id}: outputs kept until {until.isoformat()}")
    emit(ctx, {"id": job.id, "keep_until": until.isoformat()}, lambda: None)


@click.command()
@click.pass_context
def organisations(ctx: click.Context) -> None:
    """List the organisations of the account, with their credits.

    \b
    Example:
      eojobs -b fusion organisations
    """
    from eojobs_fusion import extras

    found = extras.organisations(ctx.obj.connection())
    emit(ctx, lambda: [o.model_dump(mode="json") for o in found],
         lambda: table(["id", "name", "credits"], [[o.id, o.name, o.credits] for o in found]))


COMMANDS = [organisations, dispatchers, copy, keep]
