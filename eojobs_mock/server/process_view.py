"""Engine jobs as Fusion Processes, and process templates (``new`` and ``copy``)."""

from __future__ import annotations

from typing import Any

from eojobs_mock.engine.catalogue import DemoService
from eojobs_mock.engine.timeline import ExecutionState, JobState
from eojobs_mock.server import execution_view
from eojobs_mock.server.catalogue_view import (
    chains,
    option_list,
    ssd_id,
    template_inputs,
)
from eojobs_mock.server.schedule_codec import RUN_ONCE, gap_json, offset_json
from eojobs_mock.server.wire import iso

ACTIVE = ("running", "scheduled")


def repeat_start(job: JobState, fields: dict[str, Any]) -> float:
    """When the next (or only) run is due: for a run-once process, when it was executed."""
    if fields["run_type"] == RUN_ONCE and job.row.started_at is not None:
        return job.row.started_at
    return float(fields["repeat_start"])


def inputs_json(demo: DemoService, input_ids: dict[str, str],
                template: bool = False) -> list[dict[str, Any]]:
    """The ``inputs`` of a process: slots with their data ids (unfilled optional slots left out)."""
    slots = []
    for slot in template_inputs(demo):
        data_id = input_ids.get(str(slot["input"]))
        if data_id is not None:
            slots.append({**slot, "id": data_id})
        elif template:
            slots.append(slot)
    return slots


def schedule_json(fields: dict[str, Any], start: float) -> dict[str, Any]:
    """The schedule fields of a process whose next run is due at ``start``."""
    return {
        "run_type": fields["run_type"], "repeat_count": fields["repeat_count"],
        "repeat_start": iso(start), "repeat_end": iso(fields["repeat_end"]),
        "repeat_gap": gap_json(fields["repeat_gap"]),
        "repeat_offset": offset_json(fields["repeat_offset"]),
        "output_storage_period": fields["output_storage_period"],
    }


def process_json(job: JobState, fields: dict[str, Any], demo: DemoService,
                 organisation_id: str, executions: list[ExecutionState],
                 expiries: dict[str, float], updated_at: float | None) -> dict[str, Any]:
    """A Process, with the summary of its executions."""
    row = job.row
    status = "execute" if job.status in ACTIVE else "stop"
    status_at = {"running": row.started_at, "scheduled": row.started_at,
                 "stopped": row.stopped_at}.get(job.status, job.ended_at) or row.created_at
    run_slices = len(row.slices)
    input_ids = [fields["inputs"].get(str(s["input"])) for s in template_inputs(demo)]
    return {
        "id": row.id, "created_at": iso(row.created_at),
        "updated_at": iso(max(updated_at or row.created_at, status_at)),
        "organisation_id": organisation_id, "ssd_id": ssd_id(demo.service.id),
        "service_id": demo.service.id, "name": row.name,
        "inputs": inputs_json(demo, fields["inputs"]),
        "options": option_list(demo, row.options),
        "chains": chains(demo, [i for i in input_ids if i is not None], row.options),
        **schedule_json(fields, repeat_start(job, fields)),
        "process_status": status, "process_status_at": iso(status_at), "test_run": False,
        "dispatchers": fields["dispatchers"], "price": row.price,
        "has_executions": "true" if executions else "",
        "has_executions_organisation_id": organisation_id if executions else "",
        "executions": [execution_view.status_json(job, e, expiries[e.id]) for e in executions],
        "non_aggregator_count": run_slices,
        "aggregator_count": 1 if run_slices > 1 else 0,
    }


def template_json(demo: DemoService, values: dict[str, Any], input_ids: dict[str, str],
                  schedule: dict[str, Any], dispatchers: list[dict[str, Any]]) -> dict[str, Any]:
    """A process template: what ``new`` and ``copy`` return (no id, nothing persisted)."""
    return {
        "ssd_id": ssd_id(demo.service.id), "service_id": demo.service.id,
        "inputs": inputs_json(demo, input_ids, template=True),
        "options": option_list(demo, values),
        "chains": chains(demo, [], values), **schedule, "test_run": False,
        "dispatchers": dispatchers,
    }
