"""Checks of the values a backend returns, each raising AssertionError with what is wrong.

The conformance suite runs them on every answer it gets; a backend's own
tests may call them too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from eojobs.models import Asset, Execution, JobInfo, JobStatus, LogEntry, LogLevel

__all__ = ["check_asset", "check_execution", "check_info", "check_log_entry", "check_time",
           "newest_first"]


def check_time(value: datetime | None, what: str) -> None:
    """``value`` is None or a timezone-aware datetime."""
    if value is None:
        return
    assert isinstance(value, datetime), f"{what} is {value!r}, not a datetime"
    assert value.tzinfo is not None and value.utcoffset() is not None, (
        f"{what} is {value.isoformat()}, which has no timezone: times must be timezone-aware")


def _check_progress(value: Any, what: str) -> None:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), (
        f"{what} is {value!r}, not a number")
    assert 0 <= value <= 100, f"{what} is {value}, outside 0..100"


def check_execution(execution: Execution, where: str) -> None:
    """An execution of a job: progress within 0..100 and timezone-aware times."""
    assert isinstance(execution, Execution), f"{where} holds {execution!r}, not an Execution"
    what = f"execution {execution.id!r} of {where}"
    assert isinstance(execution.id, str) and execution.id, f"{what} has no id"
    assert isinstance(execution.run, int) and execution.run >= 0, (
        f"{what} has run {execution.run!r}, not a count from 0")
    _check_progress(execution.progress, f"the progress of {what}")
    check_time(execution.started_at, f"started_at of {what}")
    check_time(execution.ended_at, f"ended_at of {what}")


def check_info(info: JobInfo, job_id: str | None = None) -> None:
    """A job's state: its id (``job_id`` if given), status, progress, times and executions."""
    assert isinstance(info, JobInfo), f"got {info!r}, not a JobInfo"
    what = f"job {info.id!r}"
    assert isinstance(info.id, str) and info.id, f"a job has the id {info.id!r}"
    if job_id is not None:
        assert info.id == job_id, f"asked for job {job_id!r}, got job {info.id!r}"
    assert isinstance(info.status, JobStatus), f"{what} has status {info.status!r}"
    _check_progress(info.progress, f"the progress of {what}")
    for name in ("created_at", "started_at", "ended_at"):
        check_time(getattr(info, name), f"{name} of {what}")
    if info.schedule is not None:
        check_time(info.schedule.start_at, f"the schedule's start_at of {what}")
    if info.price is not None:
        assert isinstance(info.price, (int, float)) and math.isfinite(info.price) \
            and info.price >= 0, f"{what} has the price {info.price!r}"
    for execution in info.executions:
        check_execution(execution, what)


def check_asset(asset: Asset, job: JobInfo | None = None) -> None:
    """An output file: a name, a size that is None or a count, a href; of one of the job's
    executions when the job lists any."""
    assert isinstance(asset, Asset), f"got {asset!r}, not an Asset"
    assert isinstance(asset.name, str) and asset.name, f"an asset has the name {asset.name!r}"
    assert asset.size is None or (isinstance(asset.size, int) and asset.size >= 0), (
        f"asset {asset.name!r} has the size {asset.size!r}")
    assert isinstance(asset.href, str) and asset.href, f"asset {asset.name!r} has no href"
    if job is not None and job.executions:
        ids = {e.id for e in job.executions}
        assert asset.execution_id in ids, (
            f"asset {asset.name!r} names execution {asset.execution_id!r}, which job "
            f"{job.id} does not list ({', '.join(sorted(ids))})")


def check_log_entry(entry: LogEntry) -> None:
    """A log line: a LogLevel, a timezone-aware time and text."""
    assert isinstance(entry, LogEntry), f"got {entry!r}, not a LogEntry"
    assert isinstance(entry.level, LogLevel), (
        f"log line {entry.message!r} has the level {entry.level!r}, not a LogLevel")
    check_time(entry.time, f"the time of log line {entry.message!r}")
    assert isinstance(entry.message, str), f"a log line's message is {entry.message!r}"


def newest_first(infos: Iterable[JobInfo], what: str) -> None:
    """Jobs listed newest first: no job created after the one before it."""
    dated = [(i.id, i.created_at) for i in infos if i.created_at is not None]
    for (earlier_id, earlier), (later_id, later) in zip(dated, dated[1:], strict=False):
        assert earlier >= later, (
            f"{what} is not newest first: job {later_id} (created {later.isoformat()}) comes "
            f"after job {earlier_id} (created {earlier.isoformat()})")
