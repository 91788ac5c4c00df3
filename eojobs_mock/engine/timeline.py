"""The simulated clock: a job's executions, progress and logs follow from time since its start.

Nothing runs in the background. A started job stores its real start time and
a speed; the simulated time elapsed is ``(now - started_at) * speed``, and
every execution's state is computed from that on each look.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eojobs_mock.engine.catalogue import AGGREGATOR, BY_ID, DemoService
from eojobs_mock.engine.store import JobRow

MIN_SECONDS = 3.0
MAX_SECONDS = 45.0
AGGREGATOR_SECONDS = 2.0
FINISHED = ("succeeded", "failed", "stopped")
"""Statuses at an end. As on the Fusion Platform, an ended execution, and so an ended
job, is at 100% progress however it ended; its status says how."""


@dataclass(frozen=True)
class ExecutionState:
    """One execution as of now; times are real epoch seconds."""

    id: str
    run: int
    index: int | None
    count: int
    aggregator: bool
    status: str
    progress: float
    started_at: float | None
    ended_at: float | None
    abort_reason: str | None
    components: tuple[str, ...]
    region: dict[str, Any]
    area_km2: float


@dataclass(frozen=True)
class LogLine:
    """One log line, at a real epoch time."""

    time: float
    execution_id: str
    component: str
    level: str
    message: str


@dataclass(frozen=True)
class JobState:
    """A job and everything that follows from the clock."""

    row: JobRow
    status: str
    progress: float
    executions: tuple[ExecutionState, ...]
    logs: tuple[LogLine, ...]
    error: str | None
    ended_at: float | None


def slice_seconds(demo: DemoService, area_km2: float) -> float:
    """Simulated seconds one slice takes."""
    return min(MAX_SECONDS, MIN_SECONDS + demo.seconds_per_km2 * area_km2)


def execution_id(job_id: str, run: int, index: int | None) -> str:
    """A stable id for one execution of a job."""
    part = "aggregate" if index is None else f"slice{index}"
    return str(uuid.uuid5(uuid.UUID(job_id), f"run{run}/{part}"))


def run_offsets(row: JobRow) -> list[float]:
    """Simulated seconds after the start at which each run begins."""
    schedule = row.schedule
    if not schedule or row.started_at is None:
        return [0.0]
    speed = row.speed or 1.0
    first = datetime.fromisoformat(schedule["start_at"]).timestamp()
    lead = max(0.0, first - row.started_at) * speed
    gap = float(schedule.get("repeat_every_s") or 0.0)
    return [lead + r * gap for r in range(int(schedule.get("repeat_count", 1)))]


def job_state(row: JobRow, now: float) -> JobState:
    """Everything about a job at real time ``now``."""
    demo = BY_ID[row.service_id]
    if row.started_at is None:
        return JobState(row, "created", 0.0, (), (), None, None)
    speed = row.speed or 1.0

    def real(sim: float) -> float:
        return row.started_at + sim / speed  # type: ignore[operator]

    elapsed = (now - row.started_at) * speed
    stop_at = None if row.stopped_at is None else (row.stopped_at - row.started_at) * speed
    effective = elapsed if stop_at is None else min(elapsed, stop_at)
    offsets = run_offsets(row)
    per_run = len(row.slices) + (1 if len(row.slices) > 1 else 0)
    executions: list[ExecutionState] = []
    logs: list[LogLine] = []
    pending_runs = False
    for run, offset in enumerate(offsets):
        if offset > effective:
            pending_runs = stop_at is None
            continue
        run_execs, run_logs = _run(row, demo, run, offset, effective, stop_at, real)
        executions.extend(run_execs)
        logs.extend(run_logs)
    logs = [line for line in logs if line.time <= row.started_at + effective / speed]
    logs.sort(key=lambda line: line.time)
    total = per_run * len(offsets)
    progress = sum(e.progress for e in executions) / total if total else 0.0
    running = any(e.status in ("running", "pending") for e in executions)
    failed = [e for e in executions if e.status == "failed"]
    stopped = any(e.status == "stopped" for e in executions)
    if running:
        status = "running"
    elif stopped or (stop_at is not None and pending_runs is False and len(executions) < total):
        status = "stopped"
    elif pending_runs:
        status = "scheduled"
    elif failed:
        status = "failed"
    else:
        status = "succeeded"
    if status in FINISHED:
        progress = 100.0
    error = failed[0].abort_reason if failed else None
    ends = [e.ended_at for e in executions if e.ended_at is not None]
    ended_at = max(ends) if status in ("succeeded", "failed", "stopped") and ends else None
    if status == "stopped" and row.stopped_at is not None:
        ended_at = row.stopped_at
    return JobState(row, status, round(progress, 2), tuple(executions), tuple(logs), error,
                    ended_at)


def _run(row: JobRow, demo: DemoService, run: int, offset: float, effective: float,
         stop_at: float | None, real: Any) -> tuple[list[ExecutionState], list[LogLine]]:
    executions: list[ExecutionState] = []
    logs: list[LogLine] = []
    count = len(row.slices)
    slice_ends: list[float] = []
    all_ok = True
    for index, piece in enumerate(row.slices):
        duration = slice_seconds(demo, piece["area_km2"])
        state, end = _execution(
            execution_id(row.id, run, index), run, index if count > 1 else None, count, False,
            demo.components, piece, offset, duration, effective, stop_at, demo, row, real, logs,
        )
        executions.append(state)
        slice_ends.append(end)
        all_ok = all_ok and state.status == "succeeded"
    if count > 1:
        start = max(slice_ends)
        unfinished = any(e.status in ("running", "pending") for e in executions)
        if all_ok or unfinished:
            agg, _ = _execution(
                execution_id(row.id, run, None), run, None, count, True, (AGGREGATOR,),
                {"geometry": row.region, "area_km2": sum(p["area_km2"] for p in row.slices)},
                start, AGGREGATOR_SECONDS, effective, stop_at, None, row, real, logs,
            )
            executions.append(agg)
    return executions, logs


def _execution(exec_id: str, run: int, index: int | None, count: int, aggregator: bool,
               components: tuple[str, ...], piece: dict[str, Any], begin: float,
               duration: float, effective: float, stop_at: float | None,
               demo: DemoService | None, row: JobRow, real: Any,
               logs: list[LogLine]) -> tuple[ExecutionState, float]:
    fails_at = demo.fails_at if demo is not None else None
    end = begin + duration
    t = effective - begin
    reason = None
    if t < 0:
        status, progress, started, ended = "pending", 0.0, None, None
        if stop_at is not None:
            status, progress = "stopped", 100.0
    elif fails_at is not None and t >= fails_at * duration:
        end = begin + fails_at * duration
        status, progress = "failed", 100.0
        started, ended = real(begin), real(end)
        reason = str(row.options.get("message") or "the demo service failed")
    elif t >= duration:
        status, progress, started, ended = "succeeded", 100.0, real(begin), real(end)
    elif stop_at is not None:
        status, progress = "stopped", 100.0
        started, ended = real(begin), real(stop_at)
    else:
        status, progress, started, ended = "running", 100 * t / duration, real(begin), None
    where = "the whole region" if index is None else f"slice {index + 1} of {count}"
    if aggregator:
        where = f"{count} slices"
    step = duration / max(1, len(components))
    for k, component in enumerate(components):
        at = begin + k * step
        logs.append(LogLine(real(at), exec_id, component, "info",
                            f"{component} started on {where} ({piece['area_km2']:.1f} km²)"))
        logs.append(LogLine(real(at + step), exec_id, component, "info",
                            f"{component} finished"))
    if status == "failed":
        logs.append(LogLine(real(end), exec_id, components[-1], "error", reason or "failed"))
        logs[:] = [ln for ln in logs if not (ln.execution_id == exec_id and ln.time > real(end))
                   or ln.level == "error"]
    if status == "stopped" and stop_at is not None:
        logs.append(LogLine(real(stop_at), exec_id, components[0], "warning",
                            "stopped by the user"))
    return ExecutionState(
        id=exec_id, run=run, index=index, count=count, aggregator=aggregator, status=status,
        progress=round(progress, 2), started_at=started, ended_at=ended, abort_reason=reason,
        components=components, region=piece["geometry"], area_km2=piece["area_km2"],
    ), end
