"""``eojobs create``, and the job-defining flags it shares with ``eojobs run``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from eojobs.cli.common import (
    IsoDateTime,
    announce_created,
    assume_utc,
    command_hint,
    job_dict,
    option_notices,
    parse_duration,
    parse_option_pairs,
)
from eojobs.cli.output import emit, notice, price_text
from eojobs.cli.regions import (
    complete_files,
    fix_from,
    read_regions,
    region_fix_options,
    show_notes,
)
from eojobs.errors import InputError

if TYPE_CHECKING:
    from eojobs.job import Job
    from eojobs.models import Schedule

F = TypeVar("F", bound=Callable[..., Any])

#: The parameters :func:`job_options` adds, which :func:`create_jobs_from` takes.
JOB_PARAMS = ("service", "job_file", "region", "options", "inputs", "name", "start_at",
              "repeat_count", "repeat_every", "per_feature", "region_crs", "swap_xy",
              "simplify", "repair", "buffer")


def job_options(command: F) -> F:
    """Add the argument and flags that define a job: service, region, options, schedule."""
    flags = [
        click.argument("service", required=False),
        click.option("-f", "--from", "job_file", type=click.Path(path_type=Path),
                     metavar="FILE",
                     help="Take the service, region, options, inputs, name and schedule from a "
                          "YAML or JSON job file (see `eojobs define`); the other flags "
                          "override it."),
        click.option("-r", "--region", shell_complete=complete_files,
                     help="A region file (GeoJSON, KML, KMZ, zipped or bare shapefile, WKT, "
                          "WKB), GeoJSON or WKT text, or a bbox W,S,E,N in degrees."),
        region_fix_options,
        click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
                     help="A service option; repeat for more."),
        click.option("-i", "--input", "inputs", multiple=True, metavar="NUMBER=FILE",
                     help="An extra input file by input number; repeat for more."),
        click.option("-n", "--name", help="A name for the job (default: the service name)."),
        click.option("--start-at", type=IsoDateTime(),
                     help="Schedule the first run at this time (ISO 8601; UTC unless given)."),
        click.option("--repeat-count", type=click.IntRange(min=1),
                     help="Number of scheduled runs."),
        click.option("--repeat-every", help="Time between scheduled runs, e.g. 6h or 1d."),
    ]
    for flag in reversed(flags):
        command = flag(command)
    return command


def create_jobs_from(ctx: click.Context, params: dict[str, Any],
                     check_schedule: Callable[[Any], None] | None = None) -> list[Job]:
    """Create (and price) the jobs the :func:`job_options` flags describe; start none.

    ``check_schedule`` sees the schedule (or None) before anything is created.
    """
    from eojobs.jobfile import JobDefinition, load_job_file

    region_flags = {k: params[k] for k in JOB_PARAMS[9:]}
    with option_notices(ctx):
        job_file = params["job_file"]
        definition = (load_job_file(job_file, fix_from(region_flags)) if job_file is not None
                      else JobDefinition())
        service = params["service"] or definition.service
        if not service:
            raise InputError(f"no service given: name one (eojobs {ctx.info_name} SERVICE -r "
                             "REGION) or give --from FILE with a 'service' key")
        region = params["region"]
        if region is None and definition.region is None:
            raise InputError("no region given: pass --region (-r), or --from FILE with a "
                             "'region' key")
        schedule = _schedule(definition.schedule, params["start_at"], params["repeat_count"],
                             params["repeat_every"])
        if check_schedule is not None:
            check_schedule(schedule)
        files = {**definition.inputs,
                 **parse_option_pairs(params["inputs"], "--input", "NUMBER=FILE")}
        values = {**definition.options, **parse_option_pairs(params["options"])}
        regions = read_regions(region if region is not None else definition.region_input,
                               region_flags)
        jobs = ctx.find_root().obj.connection().create_jobs(
            service, regions, options=values, inputs=files,
            name=params["name"] or definition.name, schedule=schedule)
    show_notes(ctx, regions)
    for job in jobs:
        announce_created(ctx, job)
    return jobs


@click.command()
@job_options
@click.pass_context
def create(ctx: click.Context, **params: Any) -> None:
    """Create and price a job on a region, without starting it or charging anything.

    Prints the job id, and its price on stderr; `eojobs start JOB` starts it.
    The region, options and inputs are checked first, as in `eojobs run`.

    \b
    Examples:
      eojobs create elevation --region glasgow.geojson
      eojobs create "Vegetation Index" -r -4.3,55.8,-4.2,55.9 \\
          -o start_date=2024-05-01 -o end_date=2024-06-01
      eojobs create --from job.yaml
    """
    jobs = create_jobs_from(ctx, params)
    if len(jobs) > 1:
        total = sum(j.total_price or 0 for j in jobs)
        unknown = any(j.total_price is None for j in jobs)
        notice(ctx, f"{len(jobs)} jobs, price {price_text(None if unknown else total)} in all")
    notice(ctx, f"nothing is charged until you start it: "
                f"{command_hint(ctx, 'start', *(j.id for j in jobs))}")
    emit(ctx, one_or_all([job_dict(j) for j in jobs]), lambda: None)


def one_or_all(items: list[dict[str, Any]]) -> Any:
    """One JSON document for one job, a list for several."""
    return items[0] if len(items) == 1 else items


def _schedule(base: Schedule | None, start_at: datetime | None, repeat_count: int | None,
              repeat_every: str | None) -> Schedule | dict[str, object] | None:
    """The job file's schedule (if any) with each flag given on top of it."""
    if start_at is None and repeat_count is None and repeat_every is None:
        return base
    fields: dict[str, object] = dict(base) if base is not None else {}
    if start_at is not None:
        fields["start_at"] = assume_utc(start_at, "--start-at")
        if fields["start_at"] < datetime.now(timezone.utc) - timedelta(minutes=1):
            raise click.UsageError(f"--start-at {start_at.isoformat()} is in the past; leave it "
                                   "out to start now")
    if repeat_count is not None:
        fields["repeat_count"] = repeat_count
    if repeat_every is not None:
        fields["repeat_every"] = parse_duration(repeat_every)
    if int(fields.get("repeat_count") or 1) > 1 and fields.get("repeat_every") is None:
        raise click.UsageError("--repeat-count above 1 needs --repeat-every")
    if repeat_every is not None and int(fields.get("repeat_count") or 1) == 1:
        raise click.UsageError("--repeat-every needs --repeat-count above 1: a job that runs "
                               "once does not repeat")
    fields.setdefault("start_at", datetime.now(timezone.utc))
    fields.setdefault("repeat_count", 1)
    return fields


COMMANDS = [create]
