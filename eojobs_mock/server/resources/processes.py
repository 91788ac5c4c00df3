"""Processes: templates, create, list, get, update, delete, copy, execute, stop, executions."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from eojobs.errors import InsufficientCredits
from eojobs_mock.engine.catalogue import DemoService
from eojobs_mock.engine.timeline import JobState, job_state
from eojobs_mock.server import execution_view, process_build
from eojobs_mock.server.app import Call
from eojobs_mock.server.bodies import flat_fields
from eojobs_mock.server.catalogue_view import DISPATCHERS, dispatchers_extras, find_demo
from eojobs_mock.server.errors import ApiError, bad_request, conflict, not_found
from eojobs_mock.server.paging import built_page, list_page, list_query, page_body
from eojobs_mock.server.process_view import process_json, schedule_json, template_json
from eojobs_mock.server.resources.executions import execution_body
from eojobs_mock.server.routing import ROUTES
from eojobs_mock.server.schedule_codec import RUN_SCHEDULE
from eojobs_mock.server.wire import iso, model_envelope

BASE = "/organisations/<uuid:organisation_id>/processes"
FILTERABLE = ("id", "name", "process_status", "run_type", "service_id", "ssd_id", "created_at")
EXECUTION_FILTERABLE = ("id", "group_id", "process_id", "started_at", "success")


def process_body(call: Call, job: JobState, *, executing: bool = False) -> dict[str, Any]:
    """The full Process of a job, ready for an envelope."""
    state = call.state
    fields = call.index.fields(job)
    demo = state.platform.demo(job.row.service_id)
    shown = call.index.visible(job)
    marks = state.records.marks(job.row.id)
    expiries = {e.id: execution_view.delete_expiry(job, e, fields["output_storage_period"],
                                                   marks) for e in shown}
    body = process_json(job, fields, demo, state.organisation_id, shown, expiries,
                        state.records.updated_at(job.row.id))
    if executing:
        body["process_status"] = "execute"
    return body


def _job(call: Call, organisation_id: uuid.UUID, process_id: uuid.UUID) -> JobState:
    call.organisation(organisation_id)
    return call.index.job(str(process_id))


def _demo(job: JobState, call: Call) -> DemoService:
    return call.state.platform.demo(job.row.service_id)


@ROUTES.add("GET", f"{BASE}/new")
def new_process(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """A template process for ``service_id``, with the dispatchers it can use."""
    call.organisation(organisation_id)
    service_id = call.request.args.get("service_id")
    if not service_id:
        raise bad_request("service_id is required: GET .../processes/new?service_id=<id>")
    demo = find_demo(service_id)
    if demo is None:
        if any(service_id in (d.id, d.ssd_id) for d in DISPATCHERS):
            raise bad_request(f"Service {service_id} is a dispatcher; add it to a process.")
        raise not_found(f"No service with id {service_id}.")
    now = call.state.clock()
    draft = process_build.new_draft(demo, now)
    return model_envelope(template_json(demo, draft.options, {}, schedule_json(draft.fields, now),
                                        []), dispatchers_extras())


@ROUTES.add("POST", BASE)
def create_process(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """Validate a process, price it, and create its job (not started)."""
    organisation = call.organisation(organisation_id)
    given = flat_fields(call.request, "Process")
    service = given.get("service_id") or given.get("ssd_id")
    demo = find_demo(str(service)) if service else None
    if demo is None:
        raise bad_request(f"Process[service_id] must name a processing service; got {service!r}")
    now = call.state.clock()
    draft = process_build.apply(call.state, process_build.new_draft(demo, now), given, now)
    job = process_build.engine_job(call.state, draft)
    state = call.state.platform.create_job(
        service_id=demo.service.id, name=draft.name, region=job.region, slices=job.slices,
        options=draft.options, inputs=job.inputs, schedule=job.schedule)
    call.state.records.save(state.row.id, organisation, draft.fields, now)
    return model_envelope(process_body(call, state), dispatchers_extras())


@ROUTES.add("GET", BASE)
def list_processes(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """The organisation's processes, oldest first."""
    call.organisation(organisation_id)
    query = list_query(call.request.args, FILTERABLE)
    now = call.state.clock()
    entries = [(f"{iso(row.created_at)}|{row.id}", row)
               for row in call.state.platform.store.list_jobs()]
    return page_body(*built_page(entries, lambda row: process_body(call, job_state(row, now)),
                                 query, ("name",)), extras=dispatchers_extras())


@ROUTES.add("GET", f"{BASE}/<uuid:process_id>")
def get_process(call: Call, organisation_id: uuid.UUID, process_id: uuid.UUID) -> dict[str, Any]:
    """One process, with the summary of its executions."""
    job = _job(call, organisation_id, process_id)
    return model_envelope(process_body(call, job), dispatchers_extras())


@ROUTES.add("PATCH", f"{BASE}/<uuid:process_id>")
def patch_process(call: Call, organisation_id: uuid.UUID,
                  process_id: uuid.UUID) -> dict[str, Any]:
    """Change a process: anything before it runs, only its name afterwards."""
    job = _job(call, organisation_id, process_id)
    given = flat_fields(call.request, "Process")
    fields = call.index.fields(job)
    current = process_build.Draft(job.row.name, _demo(job, call), dict(job.row.options), fields)
    now = call.state.clock()
    draft = process_build.apply(call.state, current, given, now)
    store = call.state.platform.store
    if job.row.started_at is None:
        engine = process_build.engine_job(call.state, draft)
        changed = replace(job.row, name=draft.name, region=engine.region, slices=engine.slices,
                          options=draft.options, inputs=engine.inputs, price=engine.price,
                          schedule=engine.schedule)
        if not store.update_job(changed):
            raise conflict("The process was executed meanwhile; only its name can change now.")
    else:
        if job.status in ("running", "scheduled"):
            raise conflict("The process is executing: stop it before changing it.")
        kept = {k: v for k, v in draft.fields.items() if k != "dispatchers"}
        if draft.options != job.row.options or not _same(kept, fields):
            raise conflict("The process has been executed: only its name can change. Copy it "
                           "to run it with other options, inputs or schedule.")
        store.rename_job(job.row.id, draft.name)
    call.state.records.save(job.row.id, call.state.organisation_id, draft.fields, now)
    return model_envelope(process_body(call, call.index.job(job.row.id)), dispatchers_extras())


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, float) and isinstance(before, (int, float)):
            if abs(value - before) > 1e-3:
                return False
        elif value != before:
            return False
    return True


@ROUTES.add("DELETE", f"{BASE}/<uuid:process_id>")
def delete_process(call: Call, organisation_id: uuid.UUID,
                   process_id: uuid.UUID) -> dict[str, Any]:
    """Stop and delete a process, its executions and their outputs."""
    job = _job(call, organisation_id, process_id)
    call.state.platform.delete(job.row.id)
    return {}


@ROUTES.add("GET", f"{BASE}/<uuid:process_id>/copy")
def copy_process(call: Call, organisation_id: uuid.UUID, process_id: uuid.UUID) -> dict[str, Any]:
    """A template with this process's service, inputs, options, schedule and dispatchers."""
    job = _job(call, organisation_id, process_id)
    fields = call.index.fields(job)
    scheduled = fields["run_type"] == RUN_SCHEDULE
    start = fields["repeat_start"] if scheduled else call.state.clock()
    return model_envelope(template_json(_demo(job, call), job.row.options, fields["inputs"],
                                        schedule_json(fields, start), fields["dispatchers"]),
                          dispatchers_extras())


@ROUTES.add("POST", f"{BASE}/<uuid:process_id>/execute")
def execute_process(call: Call, organisation_id: uuid.UUID,
                    process_id: uuid.UUID) -> dict[str, Any]:
    """Charge the organisation and start the process (once, on the mock platform)."""
    job = _job(call, organisation_id, process_id)
    if job.row.started_at is not None:
        raise conflict("This process has already been executed; the mock platform runs a "
                       "process once: copy it to run it again.")
    try:
        started = call.state.platform.start(job.row.id)
    except InsufficientCredits as error:
        raise ApiError(402, f"Insufficient credits: {error}") from None
    # The platform sets a process back to "stop" only after its run; on a fast
    # simulated clock that may already be due, but the reply to execute itself
    # reports the process as executing (the SDK's execute(wait=True) relies on it).
    return model_envelope(process_body(call, started, executing=True), dispatchers_extras())


@ROUTES.add("POST", f"{BASE}/<uuid:process_id>/stop")
def stop_process(call: Call, organisation_id: uuid.UUID, process_id: uuid.UUID) -> dict[str, Any]:
    """Stop a process: running executions end as stopped and scheduled runs are dropped."""
    job = _job(call, organisation_id, process_id)
    if job.status in ("running", "scheduled"):
        job = call.state.platform.stop(job.row.id)
    return model_envelope(process_body(call, job), dispatchers_extras())


@ROUTES.add("GET", f"{BASE}/<uuid:process_id>/executions")
def process_executions(call: Call, organisation_id: uuid.UUID,
                       process_id: uuid.UUID) -> dict[str, Any]:
    """The executions of a process, oldest first (``reverse=True`` for newest first)."""
    job = _job(call, organisation_id, process_id)
    query = list_query(call.request.args, EXECUTION_FILTERABLE)
    items = [(execution_view.position(job, e), execution_body(call, job, e))
             for e in call.index.visible(job)]
    return page_body(*list_page(items, query, ()))

