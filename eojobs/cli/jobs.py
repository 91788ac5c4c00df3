"""Commands on existing jobs: list, status, define, wait, logs, results, download, stop, delete."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from eojobs.cli.common import (
    IsoDateTime,
    command_hint,
    download_with_messages,
    finish_download,
    finite,
    job_dict,
    local_time,
    plural,
    print_report,
    wait_with_messages,
)
from eojobs.cli.create import one_or_all
from eojobs.cli.output import emit, human_size, notice, price_text, table
from eojobs.loglevel import LogLevel
from eojobs.naming import printable

if TYPE_CHECKING:
    from eojobs.job import Job

#: Job states, without importing the models at start-up.
JOB_STATUSES = ("created", "scheduled", "running", "succeeded", "failed", "stopped")


@click.command()
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(JOB_STATUSES),
              help="Only jobs in this state; repeat for several.")
@click.option("--service", help="Only jobs of this service (its name or id).")
@click.option("--since", type=IsoDateTime(),
              help="Only jobs created at or after this time (ISO 8601; local time unless "
                   "a zone is given).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@click.pass_context
def jobs(ctx: click.Context, statuses: tuple[str, ...], service: str | None,
         since: datetime | None, limit: int | None) -> None:
    """List jobs, newest first, with short ids and local times.

    Any unique start of an id (at least 4 characters) names a job in the
    other commands; --json gives the full ids and UTC times.

    \b
    Examples:
      eojobs jobs
      eojobs jobs --status running --status scheduled
      eojobs jobs --service elevation --since 2026-12-01 --limit 10
    """
    if since is not None and since.tzinfo is None:
        since = since.astimezone()
    conn = ctx.obj.connection()
    chosen = conn.service(service) if service is not None else None  # a typo gets a did-you-mean
    found = conn.jobs(status=list(statuses) or None, service=chosen, since=since, limit=limit)
    ids = short_ids([j.id for j in found])
    emit(
        ctx,
        lambda: [job_dict(j) for j in found],
        lambda: table(
            ["id", "name", "service", "status", "progress", "price", "created"],
            [[ids[j.id], clip(j.name, 24), clip(j.info.service_name, 22), j.status.value,
              f"{j.progress:.0f}%", j.price, local_time(j.info.created_at)] for j in found],
        ),
    )


@click.command()
@click.argument("job_id")
@click.pass_context
def status(ctx: click.Context, job_id: str) -> None:
    """Show a job's status, progress and executions.

    \b
    Example:
      eojobs status 3f2a9c1e
    """
    job = ctx.obj.connection().job(job_id)
    info = job.info

    def human() -> None:
        click.echo(f"{info.id}  {printable(info.name)}")
        click.echo(f"service:  {printable(info.service_name)}")
        click.echo(f"status:   {info.status.value} ({info.progress:.0f}%)")
        click.echo(f"price:    {price_text(info.price)}")
        if info.schedule:
            from eojobs.durations import format_duration

            gap = info.schedule.repeat_every
            every = format_duration(gap) if gap else "-"
            runs = plural(info.schedule.repeat_count, "run")
            click.echo(f"schedule: {runs} from {local_time(info.schedule.start_at)}"
                       + (f", every {every}" if gap else ""))
        if info.usage:
            click.echo(f"usage:    {printable(usage_text(info.usage))}")
        if info.error:
            click.echo(f"error:    {printable(info.error)}")
        if info.executions:
            click.echo("")
            table(
                ["execution", "run", "part", "status", "progress", "started", "ended"],
                [[e.id, e.run + 1, e.part or "all", e.status.value, f"{e.progress:.0f}%",
                  local_time(e.started_at), local_time(e.ended_at)]
                 for e in info.executions],
            )

    emit(ctx, lambda: job_dict(job), human)


@click.command()
@click.argument("job_id")
@click.pass_context
def define(ctx: click.Context, job_id: str) -> None:
    """Print a job file that recreates a job: YAML, or JSON with --json.

    The file holds the job's service, name, region (inline GeoJSON), options
    and schedule; `eojobs run --from FILE` creates an equivalent job from it.
    Extra input files are not included: add them under an `inputs` key.

    \b
    Example:
      eojobs define 3f2a9c1e > job.yaml
      eojobs run --from job.yaml --name again
    """
    from eojobs.jobfile import dump_job_document, job_document

    document = job_document(ctx.obj.connection().job(job_id))
    emit(ctx, document, lambda: click.echo(dump_job_document(document), nl=False))


@click.command()
@click.argument("job_ids", nargs=-1, required=True)
@click.option("--timeout", type=click.FloatRange(min=0), callback=finite,
              help="Stop waiting after S seconds.")
@click.pass_context
def wait(ctx: click.Context, job_ids: tuple[str, ...], timeout: float | None) -> None:
    """Wait for one or more jobs to finish, wherever they were started.

    Several jobs are followed together, with one status call per interval
    where the backend allows it. Exits 1 if a job fails or the timeout
    passes (the jobs keep running).

    \b
    Examples:
      eojobs wait 3f2a9c1e --timeout 3600
      eojobs wait 3f2a9c1e 77b0d2aa 0c1e9f3b
    """
    from eojobs.models import JobStatus

    conn = ctx.obj.connection()
    if len(job_ids) == 1:
        job = conn.job(job_ids[0])
        wait_with_messages(ctx, job, timeout)
        notice(ctx, f"job {job.id} {job.status.value}")
        emit(ctx, job_dict(job), lambda: None)
        return
    jobs = [conn.job(j) for j in job_ids]
    try:
        conn.wait_all(jobs, timeout=timeout, progress=ctx.obj.progress)
    except KeyboardInterrupt:
        click.echo(f"\nstopped waiting; the jobs keep running. Resume with: "
                   f"{command_hint(ctx, 'wait', *(j.id for j in jobs))}", err=True)
        ctx.exit(130)
    emit(ctx, [job_dict(j) for j in jobs], lambda: table(
        ["id", "name", "status", "error"], [[j.id, j.name, j.status.value, j.info.error]
                                            for j in jobs]))
    bad = [j for j in jobs if j.status is not JobStatus.SUCCEEDED]
    if bad:
        click.echo(f"error: {len(bad)} of {len(jobs)} jobs did not succeed: "
                   f"{', '.join(f'{j.id} ({j.status.value})' for j in bad)}", err=True)
        ctx.exit(1)


@click.command()
@click.argument("job_id")
@click.option("--level", type=click.Choice([level.value for level in LogLevel]),
              help="Only lines of this level.")
@click.pass_context
def logs(ctx: click.Context, job_id: str, level: str | None) -> None:
    """Print a job's log lines.

    \b
    Example:
      eojobs logs 3f2a9c1e --level error
    """
    entries = ctx.obj.connection().job(job_id).logs(level=level)
    emit(
        ctx,
        lambda: [e.model_dump(mode="json") for e in entries],
        lambda: [
            click.echo(f"{local_time(e.time, seconds=True)}  {e.execution_id[:8]}  {e.component}  "
                       f"{e.level.value.upper()}  {printable(e.message)}")
            for e in entries
        ],
    )


@click.command()
@click.argument("job_id")
@click.option("--stac", is_flag=True,
              help="Print the results as STAC JSON: the back-end's own document where it "
                   "returns one, else an ItemCollection.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="With --stac: the folder the job was downloaded into; files found there "
                   "replace the remote hrefs.")
@click.pass_context
def results(ctx: click.Context, job_id: str, stac: bool, directory: Path | None) -> None:
    """List a job's output files.

    A file whose name is not safe to write shows its name with control
    characters escaped and "(unsafe name)"; downloads leave it out.

    \b
    Examples:
      eojobs results 3f2a9c1e
      eojobs results 3f2a9c1e --stac --dir out/ > results.json
    """
    from eojobs.naming import UnsafeName, printable

    if directory is not None and not stac:
        raise click.UsageError("--dir goes with --stac")
    if directory is not None and not directory.is_dir():
        raise click.BadParameter(f"{directory} is not a folder", param_hint="--dir")
    result = ctx.obj.connection().job(job_id).results()
    if stac:
        click.echo(json.dumps(result.stac(directory), indent=2))
        return
    data = []
    for a in result.assets:
        try:
            path, refused = str(result.relative_path(a)), None
        except UnsafeName as exc:
            path, refused = None, str(exc)
        data.append({**a.model_dump(mode="json", exclude={"href"}), "path": path,
                     **({"unsafe": refused} if refused else {})})
    emit(
        ctx,
        data,
        lambda: table(
            ["path", "size", "type", "component"],
            [[printable(d["path"] or f"{d['name']} (unsafe name)"), human_size(d["size"]),
              printable(d["media_type"]), printable(d["component"])] for d in data],
        ),
    )


@click.command()
@click.argument("job_id")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to put the files (default: ./JOB_ID).")
@click.option("--parallel", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Parallel downloads.")
@click.option("--overwrite", is_flag=True, help="Replace files that are already there.")
@click.option("--stac", is_flag=True,
              help="Also write a STAC Item per file and a collection.json.")
@click.option("--extract", is_flag=True,
              help="Unpack ZIP files into a folder beside each, refusing unsafe archives.")
@click.option("--progress-files", is_flag=True,
              help="Show a progress bar per file as well as the overall one.")
@click.pass_context
def download(ctx: click.Context, job_id: str, directory: Path | None, parallel: int,
             overwrite: bool, stac: bool, extract: bool, progress_files: bool) -> None:
    """Download a job's output files.

    Files already there are skipped, so running it again finishes an
    interrupted download. Exits 1 if any file failed.

    \b
    Example:
      eojobs download 3f2a9c1e --dir out/
    """
    job = ctx.obj.connection().job(job_id)
    target = directory or Path(job.id)
    report = download_with_messages(ctx, job, target, parallel, overwrite, extract,
                                    progress_files)
    if stac:
        written = job.results().write_stac(target)
        notice(ctx, f"wrote STAC metadata for {len(written) - 1} files and {written[-1]}")
    print_report(ctx, report)
    finish_download(ctx, job, report, target)


@click.command()
@click.argument("job_ids", nargs=-1, required=True)
@click.pass_context
def start(ctx: click.Context, job_ids: tuple[str, ...]) -> None:
    """Start jobs that were created but not started (by `eojobs create`, or a copy).

    This is when the price is charged.

    \b
    Example:
      eojobs start 3f2a9c1e
    """
    conn = ctx.obj.connection()
    found = [conn.job(j) for j in job_ids]
    for job in found:
        if job.status.value != "created":
            notice(ctx, f"job {job.id} had already been started ({job.status.value}); "
                        "nothing to start")
            continue
        job.start()
        follow = "" if job.status.finished else \
            f"; follow it with: {command_hint(ctx, 'wait', job.id)}"
        notice(ctx, f"job {job.id} {job.status.value}{follow}")
    emit(ctx, one_or_all([job_dict(j) for j in found]), lambda: None)


@click.command()
@click.argument("job_id")
@click.pass_context
def stop(ctx: click.Context, job_id: str) -> None:
    """Stop a running or scheduled job; finished outputs stay.

    \b
    Example:
      eojobs stop 3f2a9c1e
    """
    job = ctx.obj.connection().job(job_id)
    if job.status.finished:
        notice(ctx, f"job {job.id} had already ended ({job.status.value}); nothing to stop")
    else:
        job.stop()
        notice(ctx, f"stopped job {job.id}" if job.status.value == "stopped" else
               f"asked job {job.id} to stop; it is {job.status.value}")
    emit(ctx, job_dict(job), lambda: None)


@click.command()
@click.argument("job_ids", nargs=-1, required=True)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete(ctx: click.Context, job_ids: tuple[str, ...], yes: bool) -> None:
    """Delete jobs and their outputs on the backend; running jobs are stopped first.

    Asks for confirmation on a terminal; elsewhere (a script) it needs --yes.
    A job is named by its id or a unique start of it (at least 4 characters).

    \b
    Examples:
      eojobs delete 3f2a9c1e
      eojobs delete 3f2a9c1e 77b0d2aa --yes
    """
    conn = ctx.obj.connection()
    found = list({j.id: j for j in (conn.job(i) for i in job_ids)}.values())
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("stdin is not a terminal, so eojobs cannot ask: pass --yes "
                                   "to delete without asking")
        for job in found:
            click.echo(f"  {describe(job)}", err=True)
        what = "this job and all its" if len(found) == 1 else \
            f"these {len(found)} jobs and all their"
        if not click.confirm(f"Delete {what} outputs?", default=False, err=True):
            click.echo("nothing deleted", err=True)
            ctx.exit(1)
    for job in found:
        job.delete()
        notice(ctx, f"deleted {describe(job)}")
    emit(ctx, one_or_all([{"id": j.id, "name": j.name, "status": j.status.value,
                           "deleted": True} for j in found]), lambda: None)


def describe(job: Job) -> str:
    """``job ID (NAME, STATUS)``, with the progress of a job still running."""
    state = job.status.value
    if not job.status.finished and job.status.value != "created":
        state += f" {job.progress:.0f}%"
    return f"job {job.id} ({job.name}, {state})"


def short_ids(ids: list[str], least: int = 8) -> dict[str, str]:
    """Each id cut to the shortest start that no other id in ``ids`` shares, like git."""
    ordered = sorted(ids)
    short = {}
    for i, job_id in enumerate(ordered):
        length = least
        for other in (ordered[i - 1] if i else "", ordered[i + 1] if i + 1 < len(ordered)
                      else ""):
            common = len(os.path.commonprefix([job_id, other]))
            length = max(length, common + 1)
        short[job_id] = job_id[:length]
    return short


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


COMMANDS = [jobs, status, define, start, wait, logs, results, download, stop, delete]


def usage_text(usage: dict) -> str:
    """``cpu 3 cpu-seconds, memory 10 mb-seconds``: each resource with its value and unit."""
    parts = []
    for name, amount in usage.items():
        if isinstance(amount, dict):
            unit = amount.get("unit")
            parts.append(f"{name} {amount.get('value')}" + (f" {unit}" if unit else ""))
        else:
            parts.append(f"{name} {amount}")
    return ", ".join(parts)
