"""``eojobs run``: create, price, start, wait for and download a job in one command."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eojobs.cli.common import (
    IsoDateTime,
    announce_created,
    assume_utc,
    download_with_messages,
    finish_download,
    finite,
    job_dict,
    option_notices,
    parse_duration,
    parse_option_pairs,
    wait_with_messages,
)
from eojobs.cli.output import emit, notice
from eojobs.cli.regions import fix_from, read_regions, region_fix_options, show_notes
from eojobs.errors import InputError, InsufficientCredits

if TYPE_CHECKING:
    from eojobs.models import Schedule


@click.command()
@click.argument("service", required=False)
@click.option("-f", "--from", "job_file", type=click.Path(path_type=Path), metavar="FILE",
              help="Take the service, region, options, inputs, name and schedule from a YAML "
                   "or JSON job file (see `eojobs define`); the other flags override it.")
@click.option("-r", "--region",
              help="A region file (GeoJSON, KML, KMZ, zipped or bare shapefile, WKT, WKB), "
                   "GeoJSON or WKT text, or a bbox W,S,E,N in degrees.")
@region_fix_options
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A service option; repeat for more.")
@click.option("-i", "--input", "inputs", multiple=True, metavar="NUMBER=FILE",
              help="An extra input file by input number; repeat for more.")
@click.option("-n", "--name", help="A name for the job (default: the service name).")
@click.option("--start-at", type=IsoDateTime(),
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
    service: str | None,
    job_file: Path | None,
    region: str | None,
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
    **region_flags: Any,
) -> None:
    """Run SERVICE on a region: create, price, start, wait, and optionally download.

    Prints the job id first. The region, options and inputs are checked
    before anything is created or charged. With --from, SERVICE and --region
    may come from a job file; flags given as well override the file, options
    and inputs one by one.

    \b
    Examples:
      eojobs run elevation --region glasgow.geojson --download out/
      eojobs run "Vegetation Index" -r -4.3,55.8,-4.2,55.9 \\
          -o start_date=2024-05-01 -o end_date=2024-06-01 -o index=evi
      eojobs run elevation -r area.geojson --start-at 2030-01-01T06:00 \\
          --repeat-count 7 --repeat-every 1d --no-wait
      eojobs run --from job.yaml -o resolution=100
    """
    if no_wait and download_dir is not None:
        raise click.UsageError("--download needs the job to finish; drop --no-wait")
    from eojobs.jobfile import JobDefinition, load_job_file

    with option_notices(ctx):
        definition = (load_job_file(job_file, fix_from(region_flags)) if job_file is not None
                      else JobDefinition())
        service = service or definition.service
        if not service:
            raise InputError("no service given: name one (eojobs run SERVICE -r REGION) or give "
                             "--from FILE with a 'service' key")
        if region is None and definition.region is None:
            raise InputError("no region given: pass --region (-r), or --from FILE with a "
                             "'region' key")
        name = name or definition.name
        schedule = _schedule(definition.schedule, start_at, repeat_count, repeat_every)
        files = {**definition.inputs, **parse_option_pairs(inputs, "--input", "NUMBER=FILE")}
        values = {**definition.options, **parse_option_pairs(options)}
        regions = read_regions(region if region is not None else definition.region_input,
                               region_flags)
        jobs = ctx.obj.connection().create_jobs(service, regions, options=values, inputs=files,
                                                name=name, schedule=schedule)
    many = len(jobs) > 1
    show_notes(ctx, regions)
    for job in jobs:
        _start(ctx, job)
    if no_wait:
        emit(ctx, _one_or_all([job_dict(j) for j in jobs]), lambda: None)
        return
    done = []
    for job in jobs:
        target = download_dir / job.id if download_dir is not None and many else download_dir
        done.append(_finish(ctx, job, timeout, target, parallel))
    emit(ctx, _one_or_all([data for data, _ in done]), lambda: None)
    for job, (_, report) in zip(jobs, done, strict=True):
        if report is not None and download_dir is not None:
            finish_download(ctx, job, report,
                            download_dir / job.id if many else download_dir)


def _one_or_all(items: list[dict[str, Any]]) -> Any:
    return items[0] if len(items) == 1 else items


def _start(ctx: click.Context, job: Any) -> None:
    announce_created(ctx, job)
    try:
        job.start()
    except InsufficientCredits as exc:
        raise InsufficientCredits(
            f"{exc}; job {job.id} is kept: start it later with `eojobs start {job.id}`"
        ) from None
    notice(ctx, f"started; follow it with: eojobs wait {job.id}")


def _finish(ctx: click.Context, job: Any, timeout: float | None, download_dir: Path | None,
            parallel: int) -> tuple[dict[str, Any], Any]:
    """Wait for a started job and download it; its JSON form and the download report."""
    wait_with_messages(ctx, job, timeout)
    notice(ctx, f"job {job.id} {job.status.value}")
    report = None
    if download_dir is not None:
        report = download_with_messages(ctx, job, download_dir, parallel, overwrite=False)
    data = job_dict(job)
    if report is not None:
        data["download"] = report.to_dict()
    return data, report


def _schedule(base: Schedule | None, start_at: datetime | None, repeat_count: int | None,
              repeat_every: str | None) -> Schedule | dict[str, object] | None:
    """The job file's schedule (if any) with each flag given on top of it."""
    if start_at is None and repeat_count is None and repeat_every is None:
        return base
    fields: dict[str, object] = dict(base) if base is not None else {}
    if start_at is not None:
        fields["start_at"] = assume_utc(start_at, "--start-at")
    if repeat_count is not None:
        fields["repeat_count"] = repeat_count
    if repeat_every is not None:
        fields["repeat_every"] = parse_duration(repeat_every)
    if int(fields.get("repeat_count") or 1) > 1 and fields.get("repeat_every") is None:
        raise click.UsageError("--repeat-count above 1 needs --repeat-every")
    fields.setdefault("start_at", datetime.now(timezone.utc))
    fields.setdefault("repeat_count", 1)
    return fields


COMMANDS = [run]
