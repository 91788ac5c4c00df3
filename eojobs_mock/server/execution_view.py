"""Engine executions as Fusion ProcessExecutions, their components and their logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eojobs_mock.engine.catalogue import DemoService
from eojobs_mock.engine.processrecords import ExecutionMark
from eojobs_mock.engine.timeline import FINISHED, ExecutionState, JobState, run_offsets
from eojobs_mock.server import ids
from eojobs_mock.server.catalogue_view import component_ids
from eojobs_mock.server.wire import iso

STOPPED_REASON = "Stopped by the user."
DAY_S = 86400.0


@dataclass(frozen=True)
class ComponentState:
    """One component of an execution, as far as it has got."""

    name: str
    chain_index: int
    started_at: float
    ended_at: float | None
    success: bool | None


def run_start(job: JobState, run: int) -> float:
    """The real time at which one run of a started job begins."""
    row = job.row
    assert row.started_at is not None
    return row.started_at + run_offsets(row)[run] / (row.speed or 1.0)


def started_at(job: JobState, execution: ExecutionState) -> float:
    """When an execution started (its run's start while it waits for its turn)."""
    if execution.started_at is not None:
        return execution.started_at
    return run_start(job, execution.run)


def ended_at(job: JobState, execution: ExecutionState) -> float | None:
    """When an execution ended, or None while it runs."""
    if execution.ended_at is not None:
        return execution.ended_at
    return job.row.stopped_at if execution.status == "stopped" else None


def position(job: JobState, execution: ExecutionState) -> str:
    """The sort key of an execution: oldest first, slices in order, the aggregator last."""
    order = execution.count if execution.aggregator else (execution.index or 0)
    return f"{iso(started_at(job, execution))}|{order:06d}|{execution.id}"


def delete_expiry(job: JobState, execution: ExecutionState, storage_days: int,
                  marks: dict[str, ExecutionMark]) -> float:
    """When the execution's outputs are due to be deleted."""
    mark = marks.get(execution.id)
    if mark is not None and mark.delete_expiry is not None:
        return mark.delete_expiry
    return started_at(job, execution) + storage_days * DAY_S


def group_fields(job: JobState, execution: ExecutionState) -> dict[str, Any]:
    """``group_id``/``group_index``/``group_count`` of a sliced run (nothing otherwise).

    As on the platform (and as the official CLI numbers them), slices are
    1..N and ``group_count`` is N; the aggregator comes after them, N + 1.
    """
    if len(job.row.slices) <= 1:
        return {}
    index = execution.count + 1 if execution.aggregator else (execution.index or 0) + 1
    return {"group_id": ids.group_id(job.row.id, execution.run), "group_index": index,
            "group_count": execution.count}


def _outcome(execution: ExecutionState) -> dict[str, Any]:
    status = execution.status
    reason = execution.abort_reason if status == "failed" else None
    if status == "stopped":
        reason = STOPPED_REASON
    progress = 100 if status in FINISHED else min(99, int(execution.progress))
    return {"stopped": status == "stopped", "abort": status in ("failed", "stopped"),
            "abort_reason": reason, "success": status == "succeeded", "progress": progress,
            "exit_type": {"failed": "error", "stopped": "stopped"}.get(status)}


def execution_json(job: JobState, execution: ExecutionState, organisation_id: str,
                   options: list[dict[str, Any]], expiry: float) -> dict[str, Any]:
    """A ProcessExecution."""
    start, end = started_at(job, execution), ended_at(job, execution)
    return {
        "id": execution.id, "created_at": iso(run_start(job, execution.run)),
        "updated_at": iso(end or start), "organisation_id": organisation_id,
        "process_id": job.row.id, **group_fields(job, execution), "options": options,
        "started_at": iso(start), "ended_at": iso(end), **_outcome(execution),
        "delete_expiry": iso(expiry), "delete_warning_status": "none",
        "delete_protection": False,
    }


def status_json(job: JobState, execution: ExecutionState, expiry: float) -> dict[str, Any]:
    """An entry of a process's ``executions`` summary."""
    outcome = _outcome(execution)
    fields = group_fields(job, execution)
    return {
        "process_execution_id": execution.id, "group_id": fields.get("group_id"),
        "group_index": fields.get("group_index"), "group_count": fields.get("group_count"),
        "job_status": execution.status, "abort_reason": outcome["abort_reason"],
        "exit_type": outcome["exit_type"], "started_at": iso(started_at(job, execution)),
        "ended_at": iso(ended_at(job, execution)), "delete_warning_status": "none",
        "delete_expiry": iso(expiry), "notified": False,
    }


def components(job: JobState, execution: ExecutionState) -> list[ComponentState]:
    """The components of an execution that have started, in chain order."""
    found = []
    for index, name in enumerate(execution.components):
        lines = [line for line in job.logs
                 if line.execution_id == execution.id and line.component == name]
        if not lines:
            continue
        finished = next((line.time for line in lines if line.message == f"{name} finished"),
                        None)
        end = finished if finished is not None else ended_at(job, execution)
        success = True if finished is not None else (False if end is not None else None)
        found.append(ComponentState(name, index, lines[0].time, end, success))
    return found


def component_json(job: JobState, execution: ExecutionState, component: ComponentState,
                   demo: DemoService, organisation_id: str, inputs: list[str],
                   outputs: list[str], options: list[dict[str, Any]]) -> dict[str, Any]:
    """A ProcessServiceExecution (one component of an execution)."""
    _, service_id = component_ids(demo, component.name)
    end = component.ended_at
    return {
        "id": ids.component_id(execution.id, component.name),
        "created_at": iso(component.started_at), "updated_at": iso(end or component.started_at),
        "organisation_id": organisation_id, "process_execution_id": execution.id,
        "process_id": job.row.id, "service_id": service_id,
        "image_id": ids.component_id("image", component.name),
        "chain_index": component.chain_index, "name": component.name,
        "started_at": iso(component.started_at), "ended_at": iso(end),
        "runtime": None if end is None else round(end - component.started_at),
        "architecture": "x86_64", "cpu": 2, "gpu": 0, "memory": 4096, "storage": 20,
        "instance_type": "mock.standard",
        "options": [{k: o[k] for k in ("name", "value", "data_type", "validation")}
                    for o in options],
        "inputs": inputs, "outputs": outputs, "intermediate": False,
        "success": component.success, "metrics": [],
    }


def log_items(job: JobState, execution: ExecutionState,
              component: str) -> list[tuple[str, dict[str, Any]]]:
    """The log lines of one component as ``(position, log)`` pairs, oldest first."""
    key = ids.component_id(execution.id, component)
    lines = [line for line in job.logs
             if line.execution_id == execution.id and line.component == component]
    items = []
    for number, line in enumerate(lines):
        message = line.message if line.level == "info" else f"{line.level.upper()}: {line.message}"
        items.append((f"{iso(line.time)}|{number:06d}", {
            "id": ids.log_id(key, number), "created_at": iso(line.time),
            "updated_at": iso(line.time), "process_service_execution_id": key,
            "logged_at": iso(line.time), "message": message,
        }))
    return items
