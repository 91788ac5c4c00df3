"""Pieces several commands share: parsing values, waiting and downloading with messages."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eojobs.cli.output import emit, human_size, notice, price_text
from eojobs.errors import Fix

if TYPE_CHECKING:
    from eojobs.download import DownloadReport
    from eojobs.job import Job



def parse_option_pairs(pairs: tuple[str, ...], flag: str = "--option",
                       shape: str = "NAME=VALUE") -> dict[str, str]:
    """``NAME=VALUE`` strings to a dict; the value may itself contain ``=``."""
    options: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{pair!r} is not {shape}", param_hint=f"'{flag}'")
        if name.strip() in options:
            raise click.BadParameter(f"{name.strip()!r} is given twice; give it once",
                                     param_hint=f"'{flag}'")
        options[name.strip()] = value
    return options


@contextmanager
def option_notices(ctx: click.Context) -> Iterator[None]:
    """Show option notices raised inside (a date-time taken as UTC) on stderr, as notices.

    They show only when the block succeeds, so that an error stays the one
    line printed. Other warnings pass through unchanged.
    """
    from eojobs.options import AssumedUTCWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AssumedUTCWarning)
        yield
    for seen in dict.fromkeys(str(w.message) for w in caught
                              if issubclass(w.category, AssumedUTCWarning)):
        notice(ctx, seen)
    for other in caught:
        if not issubclass(other.category, AssumedUTCWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)


class IsoDateTime(click.ParamType):
    """An ISO 8601 date or date-time (``2030-01-01``, ``2030-01-01T06:00+01:00``, ``...Z``)."""

    name = "DATETIME"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        """The date-time, naive when no timezone was given; a clear error otherwise."""
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z"))
                                            else text)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date-time such as 2030-01-01T06:00 or "
                      "2030-01-01T06:00+01:00", param, ctx)
        try:
            moment.astimezone(timezone.utc)  # years 1 to 9999 in UTC too
        except (OverflowError, ValueError):
            self.fail(f"{value!r} is out of range once taken to UTC", param, ctx)
        return moment


def command_hint(ctx: click.Context, *words: str) -> str:
    """An ``eojobs`` command line to paste, naming the backend unless it is the mock default.

    ``command_hint(ctx, "wait", job_id)`` gives ``eojobs -b fusion wait ID`` on
    Fusion, and ``eojobs wait ID`` on the mock when nothing makes another
    backend the default.
    """
    import shlex

    from eojobs.config import default_backend
    from eojobs.connection import DEFAULT_BACKEND
    from eojobs.errors import ConfigError

    name = ctx.find_root().obj.connection().name
    try:
        plain = name == DEFAULT_BACKEND == default_backend(DEFAULT_BACKEND)
    except ConfigError:
        plain = False
    parts = ["eojobs"] if plain else ["eojobs", "-b", name]
    return " ".join([*parts, *(shlex.quote(str(w)) for w in words)])


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """A date-time in the local timezone, with its zone: ``2030-01-01 07:00 CET``."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone()
    shown = f"{local:%Y-%m-%d %H:%M:%S}" if seconds else f"{local:%Y-%m-%d %H:%M}"
    return f"{shown} {local.tzname() or local.strftime('%z')}"


def announce_created(ctx: click.Context, job: Job) -> None:
    """The new job's id on stdout (unless --json), and its name and price as a notice."""
    if not ctx.find_root().obj.json:
        click.echo(job.id)
    notice(ctx, f"created job {job.id} ({job.name}), price {job_price_text(job)}")


def job_price_text(job: Job) -> str:
    """``3.29 credits``, or ``1.06 credits a run, 10.6 credits for 10 runs``."""
    if job.runs == 1 or job.price is None:
        return price_text(job.price)
    return (f"{price_text(job.price)} a run, {price_text(job.total_price)} for "
            f"{job.runs} runs")


def plural(count: int, word: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{count} {word if count == 1 else word + 's'}"


def assume_utc(moment: datetime, what: str) -> datetime:
    """``moment`` with UTC as its timezone if it has none, saying so (AssumedUTCWarning)."""
    if moment.tzinfo is not None:
        return moment
    from eojobs.options import AssumedUTCWarning

    warnings.warn(AssumedUTCWarning(f"{what}: no timezone given, assuming UTC"), stacklevel=2)
    return moment.replace(tzinfo=timezone.utc)


def finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """A click callback that refuses NaN and infinity."""
    if value is not None and not math.isfinite(value):
        unit = "credits" if param.name == "max_price" else "seconds"
        raise click.BadParameter(f"{value} is not a finite number of {unit}")
    return value


def parse_duration(text: str) -> timedelta:
    """``90``, ``90s``, ``15m``, ``6h``, ``1d`` or ``2w`` to a timedelta."""
    from eojobs.durations import parse_duration as parse

    try:
        return parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--repeat-every'") from None


def job_dict(job: Job) -> dict[str, Any]:
    """The JSON form of a job."""
    return job.info.model_dump(mode="json")


def wait_with_messages(ctx: click.Context, job: Job, timeout: float | None,
                       then: list[str] | None = None) -> None:
    """Wait for a job; on Ctrl-C, say how to resume and exit 130.

    ``then`` is the command that was to follow the wait (a download), which
    the resume hint includes. When the job fails or the wait times out,
    ``--json`` still prints the job.
    """
    from eojobs.errors import JobFailed, WaitTimeout

    state = ctx.find_root().obj
    try:
        job.wait(timeout=timeout, progress=state.progress)
    except JobFailed:
        emit(ctx, job_dict(job.refresh()), lambda: None)
        raise
    except WaitTimeout as exc:
        emit(ctx, job_dict(job.refresh()), lambda: None)
        if then:
            click.echo(f"error: {exc}; wait again and download with: "
                       f"{_resume(ctx, job, then)}", err=True)
            ctx.exit(exc.exit_code)
        raise
    except KeyboardInterrupt:
        click.echo(f"\nstopped waiting; job {job.id} keeps running. Resume with: "
                   f"{_resume(ctx, job, then)}", err=True)
        ctx.exit(130)


def _resume(ctx: click.Context, job: Job, then: list[str] | None) -> str:
    wait = command_hint(ctx, "wait", job.id)
    return f"{wait} && {command_hint(ctx, *then)}" if then else wait


def download_with_messages(
    ctx: click.Context, job: Job, directory: Path, parallel: int, overwrite: bool,
    extract: bool = False, file_bars: bool = False,
) -> DownloadReport:
    """Download a job's results; report on stderr and exit 1 if any file failed."""
    from eojobs.cli.hints import in_cli_words
    from eojobs.naming import printable

    state = ctx.find_root().obj
    result = job.results()
    try:
        report = result.download(directory, parallel=parallel, overwrite=overwrite,
                                 progress=state.progress, extract=extract,
                                 file_bars=file_bars)
    except KeyboardInterrupt:
        click.echo(f"\ndownload interrupted; what arrived is kept. Resume with: "
                   f"{command_hint(ctx, 'download', job.id, '--dir', str(directory))}",
                   err=True)
        ctx.exit(130)
    notice(
        ctx,
        f"downloaded {plural(len(report.done), 'file')} ({human_size(report.bytes_written)}) to "
        f"{printable(directory)}; {len(report.skipped)} already there, {len(report.failed)} failed",
    )
    if report.unverified:
        names = ", ".join(str(p) for p in report.unverified[:3])
        more = ", ..." if len(report.unverified) > 3 else ""
        notice(ctx, f"{plural(len(report.unverified), 'file')} could not be checked, as the "
                    f"server gave no size or checksum for them: {names}{more}")
    if report.scheduled:
        notice(ctx, f"{plural(len(report.scheduled), 'file')} not ready yet; run the same download "
                    f"again later to fetch them: "
                    f"{command_hint(ctx, 'download', job.id, '--dir', str(directory))}")
    for path, reason in report.failed:
        click.echo(f"failed: {printable(path)}: {printable(in_cli_words(reason))}", err=True)
    return report


def finish_download(ctx: click.Context, job: Job, report: DownloadReport, directory: Path) -> None:
    """Exit 1 after a download with failures, saying how to try again."""
    if report.failed:
        existing = any(Fix("overwrite", True) in getattr(reason, "fixes", ())
                       for _, reason in report.failed)
        again = command_hint(ctx, "download", job.id, "--dir", str(directory),
                             *(["--overwrite"] if existing else []))
        click.echo(f"error: {plural(len(report.failed), 'file')} failed; run again to retry: "
                   f"{again}",
                   err=True)
        ctx.exit(1)


def print_report(ctx: click.Context, report: DownloadReport) -> None:
    """The files a download wrote, one per line (or the report as JSON)."""
    from eojobs.naming import printable

    emit(ctx, report_dict(report), lambda: [click.echo(printable(p)) for p in report.done])


def report_dict(report: DownloadReport) -> dict[str, Any]:
    """The JSON form of a download report, with why files failed in the CLI's words."""
    from eojobs.cli.hints import in_cli_words

    data = report.to_dict()
    for failure in data["failed"]:
        failure["reason"] = in_cli_words(failure["reason"])
    return data
