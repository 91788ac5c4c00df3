"""``eojobs run``: create, price, start, wait for and download a job in one command."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eojobs.cli.common import (
    command_hint,
    download_with_messages,
    finish_download,
    finite,
    job_dict,
    local_time,
    report_dict,
    wait_with_messages,
)
from eojobs.cli.create import create_jobs_from, job_options, one_or_all
from eojobs.cli.output import emit, notice, price_text
from eojobs.errors import InsufficientCredits

if TYPE_CHECKING:
    from eojobs.job import Job


@click.command()
@job_options
@click.option("--max-price", type=click.FloatRange(min=0), callback=finite, metavar="CREDITS",
              help="Start only if the price (of every scheduled run, and of all the jobs with "
                   "--per-feature) is at most this; otherwise keep the job unstarted, exit 1.")
@click.option("--wait/--no-wait", default=None,
              help="Wait for the job to finish (the default), or start it and return at once. "
                   "A job scheduled for later returns once armed unless --wait is given.")
@click.option("--timeout", type=click.FloatRange(min=0), callback=finite,
              help="Stop waiting after S seconds.")
@click.option("-d", "--download", "download_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Download the results to this directory when done.")
@click.option("--parallel", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Parallel downloads.")
@click.option("--overwrite", is_flag=True,
              help="Let the download replace files already in the folder.")
@click.pass_context
def run(ctx: click.Context, max_price: float | None, wait: bool | None, timeout: float | None,
        download_dir: Path | None, parallel: int, overwrite: bool, **params: Any) -> None:
    """Run SERVICE on a region: create, price, start, wait, and optionally download.

    Prints the job id first. The region, options and inputs are checked
    before anything is created or charged. With --from, SERVICE and --region
    may come from a job file; flags given as well override the file, options
    and inputs one by one. To see the price before paying, use --max-price,
    or `eojobs create` then `eojobs start`.

    \b
    Examples:
      eojobs run elevation --region glasgow.geojson --download out/
      eojobs run "Vegetation Index" -r -4.3,55.8,-4.2,55.9 \\
          -o start_date=2024-05-01 -o end_date=2024-06-01 -o index=evi --max-price 10
      eojobs run elevation -r area.geojson --start-at 2030-01-01T06:00 \\
          --repeat-count 7 --repeat-every 1d
      eojobs run --from job.yaml -o resolution=100
    """
    if wait is False and download_dir is not None:
        raise click.UsageError("--download needs the job to finish; drop --no-wait")

    def check_schedule(schedule: Any) -> None:
        due = _due(schedule)
        if due is not None and download_dir is not None and wait is None:
            raise click.UsageError(
                f"the first run is due at {local_time(due)}; --download needs --wait to stay "
                "until it has run (or download later)")

    if max_price is not None:
        _check_prices_known(ctx)
    if download_dir is not None and not overwrite and not params["per_feature"]:
        _check_folder(download_dir)
    jobs = create_jobs_from(ctx, params, check_schedule)
    if max_price is not None:
        _check_price(ctx, jobs, max_price)
    armed = [j for j in jobs if _due(j.info.schedule) is not None]
    returning = wait is False or (wait is None and bool(armed))
    for job in jobs:
        _start(ctx, job, waiting=not returning)
    if returning:
        for job in armed:
            notice(ctx, f"job {job.id} is scheduled: its first run is due at "
                        f"{local_time(_due(job.info.schedule))}")
        emit(ctx, one_or_all([job_dict(j) for j in jobs]), lambda: None)
        return
    many = len(jobs) > 1
    done = []
    for job in jobs:
        target = download_dir / job.id if download_dir is not None and many else download_dir
        done.append(_finish(ctx, job, timeout, target, parallel, overwrite))
    emit(ctx, one_or_all([data for data, _ in done]), lambda: None)
    for job, (_, report) in zip(jobs, done, strict=True):
        if report is not None and download_dir is not None:
            finish_download(ctx, job, report,
                            download_dir / job.id if many else download_dir)


def _check_folder(folder: Path) -> None:
    """Refuse, before anything is created, a folder that holds another job's downloads."""
    from eojobs.manifest import Manifest

    owners = Manifest(folder).owners()
    if owners:
        jobs = sorted(set(owners.values()))
        names = ", ".join(p.name for p in list(owners)[:3]) + (", ..." if len(owners) > 3 else "")
        raise click.UsageError(
            f"{folder} already holds files of job {' and job '.join(jobs[:2])} ({names}); "
            "download into another folder, or add --overwrite to replace them")


def _due(schedule: Any) -> datetime | None:
    """When a schedule's first run is due, if that is still in the future."""
    start = getattr(schedule, "start_at", None)
    if start is None and isinstance(schedule, dict):
        start = schedule.get("start_at")
    if isinstance(start, datetime) and start > datetime.now(timezone.utc):
        return start
    return None


def _check_prices_known(ctx: click.Context) -> None:
    """Refuse --max-price before anything is created on a backend that prices no job."""
    from eojobs.models import Capability

    conn = ctx.find_root().obj.connection()
    if Capability.PRICE not in conn.capabilities:
        raise conn.backend.unsupported("pricing jobs, so --max-price cannot be checked; "
                                       "nothing was created")


def _check_price(ctx: click.Context, jobs: list[Job], max_price: float) -> None:
    """Exit 1, keeping the jobs unstarted, unless their price is known and within the limit."""
    ids = [j.id for j in jobs]
    what = f"job {ids[0]}" if len(ids) == 1 else f"{len(ids)} jobs"
    unknown = [j.id for j in jobs if j.total_price is None]
    total = sum(j.total_price or 0 for j in jobs)
    if unknown:
        reason = f"the {ctx.find_root().obj.connection().name} backend gave no price for " \
                 f"job {unknown[0]}, so --max-price cannot be checked"
    elif total > max_price + 1e-9 * max(1.0, abs(max_price)):
        runs = f" for its {jobs[0].runs} runs" if len(ids) == 1 and jobs[0].runs > 1 else ""
        cost = f"costs {price_text(total)}{runs}" if len(ids) == 1 else \
               f"cost {price_text(total)} in all"
        reason = f"{what} {cost}, more than --max-price {max_price:g}"
    else:
        return
    emit(ctx, one_or_all([job_dict(j) for j in jobs]), lambda: None)
    click.echo(f"error: {reason}; {'it is' if len(ids) == 1 else 'they are'} kept, not "
               f"started: start with `{command_hint(ctx, 'start', *ids)}` or delete with "
               f"`{command_hint(ctx, 'delete', *ids)}`", err=True)
    ctx.exit(1)


def _start(ctx: click.Context, job: Job, waiting: bool) -> None:
    try:
        job.start()
    except InsufficientCredits as exc:
        raise InsufficientCredits(
            f"{exc}; job {job.id} is kept: start it later with "
            f"`{command_hint(ctx, 'start', job.id)}`"
        ) from None
    if not waiting:
        notice(ctx, f"started; follow it with: {command_hint(ctx, 'wait', job.id)}")


def _finish(ctx: click.Context, job: Job, timeout: float | None, download_dir: Path | None,
            parallel: int, overwrite: bool) -> tuple[dict[str, Any], Any]:
    """Wait for a started job and download it; its JSON form and the download report."""
    then = [] if download_dir is None else ["download", job.id, "--dir", str(download_dir)]
    wait_with_messages(ctx, job, timeout, then)
    notice(ctx, f"job {job.id} {job.status.value}")
    report = None
    if download_dir is not None:
        report = download_with_messages(ctx, job, download_dir, parallel, overwrite=overwrite)
    data = job_dict(job)
    if report is not None:
        data["download"] = report_dict(report)
    return data, report


COMMANDS = [run]
