"""``eojobs run``: create, price, start, wait for and download a job in one command."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import click

from eojobs.cli.common import (
    download_with_messages,
    finish_download,
    finite,
    job_dict,
    parse_duration,
    parse_option_pairs,
    wait_with_messages,
)
from eojobs.cli.output import emit, notice, price_text
from eojobs.errors import InsufficientCredits, JobFailed, WaitTimeout


@click.command()
@click.argument("service")
@click.option("-r", "--region", required=True,
              help="A GeoJSON file, WKT, or a bbox W,S,E,N in degrees.")
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A service option; repeat for more.")
@click.option("-i", "--input", "inputs", multiple=True, metavar="NUMBER=FILE",
              help="An extra input file by input number; repeat for more.")
@click.option("-n", "--name", help="A name for the job (default: the service name).")
@click.option("--start-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S",
                                                  "%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
              help="Schedule the first run at this time (ISO 8601; UTC unless given).")
@click.option("--repeat-count", type=click.IntRange(min=1), help="Number of scheduled runs.")
@click.option("--repeat-every", help="Time between scheduled runs, e.g. 6h or 1d.")
@click.option("--no-wait", is_flag=True, help="Start the job and return at once.")
@click.option("--timeout", type=click.FloatRange(min=0), callback=finite,
              help="Stop waiting after S seconds.")
@click.option("-d", "--download", "download_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Download the results to this directory when done.")
@click.option("--parallel", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Parallel downloads.")
@click.pass_context
def run(
    ctx: click.Context,
    service: str,
    region: str,
    options: tuple[str, ...],
    inputs: tuple[str, ...],
    name: str | None,
    start_at: datetime | None,
    repeat_count: int | None,
    repeat_every: str | None,
    no_wait: bool,
    timeout: float | None,
    download_dir: Path | None,
    parallel: int,
) -> None:
    """Run SERVICE on a region: create, price, start, wait, and optionally download.

    Prints the job id first. The region, options and inputs are checked
    before anything is created or charged.

    \b
    Examples:
      eojobs run elevation --region glasgow.geojson --download out/
      eojobs run "Vegetation Index" -r -4.3,55.8,-4.2,55.9 \\
          -o start_date=2024-05-01 -o end_date=2024-06-01 -o index=evi
      eojobs run elevation -r area.geojson --start-at 2030-01-01T06:00 \\
          --repeat-count 7 --repeat-every 1d --no-wait
    """
    if no_wait and download_dir is not None:
        raise click.UsageError("--download needs the job to finish; drop --no-wait")
    from eojobs.region import Region

    conn = ctx.obj.connection()
    schedule = _schedule(start_at, repeat_count, repeat_every)
    files = parse_option_pairs(inputs, "--input", "NUMBER=FILE") if inputs else {}
    job = conn.create_job(
        service, Region.parse(region), options=parse_option_pairs(options), inputs=files,
        name=name, schedule=schedule,
    )
    if not ctx.obj.json:
        click.echo(job.id)
    notice(ctx, f"created job {job.id} ({job.name}), price {price_text(job.price)}")
    try:
        job.start()
    except InsufficientCredits as exc:
        raise InsufficientCredits(
            f"{exc}; job {job.id} is kept: start it later with `eojobs start {job.id}`"
        ) from None
    if no_wait:
        notice(ctx, f"started; follow it with: eojobs wait {job.id}")
        emit(ctx, job_dict(job), lambda: None)
        return
    try:
        wait_with_messages(ctx, job, timeout)
    except (JobFailed, WaitTimeout):
        if ctx.obj.json:
            emit(ctx, job_dict(job.refresh()), lambda: None)
        raise
    notice(ctx, f"job {job.id} {job.status.value}")
    report = None
    if download_dir is not None:
        report = download_with_messages(ctx, job, download_dir, parallel, overwrite=False)
    data = job_dict(job)
    if report is not None:
        data["download"] = report.to_dict()
    emit(ctx, data, lambda: None)
    if report is not None:
        finish_download(ctx, job, report, download_dir)  # type: ignore[arg-type]


def _schedule(start_at: datetime | None, repeat_count: int | None,
              repeat_every: str | None) -> dict[str, object] | None:
    if start_at is None and repeat_count is None and repeat_every is None:
        return None
    if (repeat_count or 1) > 1 and repeat_every is None:
        raise click.UsageError("--repeat-count above 1 needs --repeat-every")
    when = start_at or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return {
        "start_at": when,
        "repeat_count": repeat_count or 1,
        "repeat_every": parse_duration(repeat_every) if repeat_every else None,
    }


COMMANDS = [run]
