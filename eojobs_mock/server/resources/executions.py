"""Process executions, their components (service executions) and the components' logs."""

from __future__ import annotations

import shutil
import uuid
from typing import Any

from eojobs_mock.engine.timeline import ExecutionState, JobState
from eojobs_mock.server import execution_view, ids
from eojobs_mock.server.app import Call
from eojobs_mock.server.bodies import flat_fields, nested_fields
from eojobs_mock.server.catalogue_view import option_list
from eojobs_mock.server.errors import bad_request, conflict, not_found
from eojobs_mock.server.paging import list_page, list_query, page_body
from eojobs_mock.server.routing import ROUTES
from eojobs_mock.server.wire import model_envelope, parse_time

BASE = "/organisations/<uuid:organisation_id>/process_executions/<uuid:execution_id>"
COMPONENT = "/organisations/<uuid:organisation_id>/process_service_executions/<uuid:component_id>"
COMPONENT_FILTERABLE = ("id", "name", "chain_index", "success")
LOG_FILTERABLE = ("id", "logged_at")


def execution_body(call: Call, job: JobState, execution: ExecutionState) -> dict[str, Any]:
    """The full ProcessExecution of an engine execution."""
    fields = call.index.fields(job)
    demo = call.state.platform.demo(job.row.service_id)
    expiry = execution_view.delete_expiry(job, execution, fields["output_storage_period"],
                                          call.state.records.marks(job.row.id))
    return execution_view.execution_json(job, execution, call.state.organisation_id,
                                         option_list(demo, job.row.options), expiry)


def _execution(call: Call, organisation_id: uuid.UUID,
               execution_id: uuid.UUID) -> tuple[JobState, ExecutionState]:
    call.organisation(organisation_id)
    return call.index.execution(str(execution_id))


@ROUTES.add("GET", BASE)
def get_execution(call: Call, organisation_id: uuid.UUID,
                  execution_id: uuid.UUID) -> dict[str, Any]:
    """One execution, as of now."""
    job, execution = _execution(call, organisation_id, execution_id)
    return model_envelope(execution_body(call, job, execution))


def _set_expiry(call: Call, job: JobState, execution: ExecutionState, value: Any) -> None:
    when = parse_time(value, "delete_expiry")
    if when <= call.state.clock():
        raise bad_request("delete_expiry must be in the future")
    group = [e.id for e in call.index.visible(job)
             if len(job.row.slices) > 1 and e.run == execution.run] or [execution.id]
    call.state.records.set_delete_expiry(job.row.id, group, when)


@ROUTES.add("PATCH", BASE)
def patch_execution(call: Call, organisation_id: uuid.UUID,
                    execution_id: uuid.UUID) -> dict[str, Any]:
    """Change an execution; ``delete_expiry`` is the only writable field."""
    job, execution = _execution(call, organisation_id, execution_id)
    given = flat_fields(call.request, "ProcessExecution")
    if given.get("delete_expiry") is not None:
        expiry = parse_time(given["delete_expiry"], "delete_expiry")
        current = execution_body(call, job, execution)["delete_expiry"]
        if abs(expiry - parse_time(current, "delete_expiry")) > 1e-3:
            _set_expiry(call, job, execution, given["delete_expiry"])
    return model_envelope(execution_body(call, job, execution))


@ROUTES.add("POST", f"{BASE}/change_delete_expiry")
def change_delete_expiry(call: Call, organisation_id: uuid.UUID,
                         execution_id: uuid.UUID) -> dict[str, Any]:
    """Keep an execution's outputs until a new time (the whole group, when sliced)."""
    job, execution = _execution(call, organisation_id, execution_id)
    given = nested_fields(call.request, "ProcessExecution")
    if "delete_expiry" not in given:
        raise bad_request("ProcessExecution delete_expiry is required")
    _set_expiry(call, job, execution, given["delete_expiry"])
    return {}


@ROUTES.add("DELETE", BASE)
def delete_execution(call: Call, organisation_id: uuid.UUID,
                     execution_id: uuid.UUID) -> dict[str, Any]:
    """Delete a finished execution and its outputs."""
    job, execution = _execution(call, organisation_id, execution_id)
    if execution.status not in execution_view.FINISHED:
        raise conflict("The execution has not finished: stop the process first.")
    call.state.records.mark_deleted(job.row.id, execution.id)
    shutil.rmtree(call.state.root / "outputs" / job.row.id / execution.id, ignore_errors=True)
    return {}


def _component_body(call: Call, job: JobState, execution: ExecutionState,
                    component: execution_view.ComponentState) -> dict[str, Any]:
    demo = call.state.platform.demo(job.row.service_id)
    names = set(execution.components)
    files = call.index.outputs(job, execution)
    outputs = [ids.output_data_id(execution.id, f.name) for f in files
               if (f.component if f.component in names else execution.components[-1])
               == component.name]
    inputs: list[str] = []
    if component.chain_index == 0 and not execution.aggregator:
        process_inputs = call.index.fields(job)["inputs"]
        inputs = [process_inputs[k] for k in sorted(process_inputs, key=int)]
    return execution_view.component_json(job, execution, component, demo,
                                         call.state.organisation_id, inputs, outputs,
                                         option_list(demo, job.row.options))


@ROUTES.add("GET", f"{BASE}/process_service_executions")
def list_components(call: Call, organisation_id: uuid.UUID,
                    execution_id: uuid.UUID) -> dict[str, Any]:
    """The components of an execution that have started, in chain order."""
    job, execution = _execution(call, organisation_id, execution_id)
    query = list_query(call.request.args, COMPONENT_FILTERABLE)
    items = [(f"{c.chain_index:04d}", _component_body(call, job, execution, c))
             for c in execution_view.components(job, execution)]
    return page_body(*list_page(items, query, ("name",)))


def _component(call: Call, organisation_id: uuid.UUID, component_id: uuid.UUID) -> tuple[
        JobState, ExecutionState, execution_view.ComponentState]:
    call.organisation(organisation_id)
    job, execution, name = call.index.component(str(component_id))
    found = next((c for c in execution_view.components(job, execution) if c.name == name), None)
    if found is None:
        raise not_found(f"No process service execution with id {component_id}.")
    return job, execution, found


@ROUTES.add("GET", COMPONENT)
def get_component(call: Call, organisation_id: uuid.UUID,
                  component_id: uuid.UUID) -> dict[str, Any]:
    """One component of an execution."""
    job, execution, component = _component(call, organisation_id, component_id)
    return model_envelope(_component_body(call, job, execution, component))


@ROUTES.add("GET", f"{COMPONENT}/logs")
def component_logs(call: Call, organisation_id: uuid.UUID,
                   component_id: uuid.UUID) -> dict[str, Any]:
    """The log lines of a component, oldest first (``reverse=True`` for newest first)."""
    job, execution, component = _component(call, organisation_id, component_id)
    query = list_query(call.request.args, LOG_FILTERABLE)
    return page_body(*list_page(execution_view.log_items(job, execution, component.name), query,
                                ("message",)))
