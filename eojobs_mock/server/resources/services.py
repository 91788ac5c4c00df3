"""Services: the latest processing services, the organisation's own, and dispatchers."""

from __future__ import annotations

import uuid
from typing import Any

from eojobs_mock.engine.catalogue import SERVICES
from eojobs_mock.server.app import Call
from eojobs_mock.server.catalogue_view import (
    DISPATCHERS,
    dispatcher_service_json,
    service_json,
)
from eojobs_mock.server.errors import forbidden, not_found
from eojobs_mock.server.paging import list_page, list_query, page_body
from eojobs_mock.server.routing import ROUTES
from eojobs_mock.server.wire import model_envelope

FILTERABLE = ("id", "ssd_id", "name", "keywords", "categories", "version", "approval_status")
SEARCHED = ("name", "keywords", "categories", "documentation_summary")


def _page(call: Call, services: list[dict[str, Any]]) -> dict[str, Any]:
    query = list_query(call.request.args, FILTERABLE)
    items = [(f"{s['name']}|{s['id']}", s) for s in services]
    return page_body(*list_page(items, query, SEARCHED))


@ROUTES.add("GET", "/organisations/<uuid:organisation_id>/services/latest")
def latest_services(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """The latest version of every processing service the organisation can run."""
    call.organisation(organisation_id)
    return _page(call, [service_json(demo) for demo in SERVICES])


@ROUTES.add("GET", "/organisations/<uuid:organisation_id>/services")
def own_services(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """Services the organisation owns: none, on the mock platform."""
    call.organisation(organisation_id)
    return _page(call, [])


@ROUTES.add("GET", "/organisations/<uuid:organisation_id>/services/dispatchers")
def dispatcher_services(call: Call, organisation_id: uuid.UUID) -> dict[str, Any]:
    """The dispatcher services outputs can be delivered with."""
    call.organisation(organisation_id)
    return _page(call, [dispatcher_service_json(d) for d in DISPATCHERS])


def _service(call: Call, organisation_id: uuid.UUID, service_id: uuid.UUID) -> dict[str, Any]:
    call.organisation(organisation_id)
    every = [service_json(d) for d in SERVICES] + [dispatcher_service_json(d) for d in DISPATCHERS]
    found = next((s for s in every if s["id"] == str(service_id)), None)
    if found is None:
        raise not_found(f"No service with id {service_id}.")
    return found


@ROUTES.add("GET", "/organisations/<uuid:organisation_id>/services/<uuid:service_id>")
def get_service(call: Call, organisation_id: uuid.UUID, service_id: uuid.UUID) -> dict[str, Any]:
    """One service (a specific version) by id."""
    return model_envelope(_service(call, organisation_id, service_id))


@ROUTES.add("PATCH", "/organisations/<uuid:organisation_id>/services/<uuid:service_id>")
@ROUTES.add("DELETE", "/organisations/<uuid:organisation_id>/services/<uuid:service_id>")
def change_service(call: Call, organisation_id: uuid.UUID,
                   service_id: uuid.UUID) -> dict[str, Any]:
    """Refused: the organisation does not own the platform's services."""
    _service(call, organisation_id, service_id)
    raise forbidden("Services of the mock platform are read-only: your organisation does not "
                    "own them.")
