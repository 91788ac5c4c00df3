"""The catalogue as Fusion objects: services, dispatchers, and the parts of a process template."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from eojobs.models import InputSpec
from eojobs.options import coerce_value, to_jsonable
from eojobs_mock.engine.catalogue import SERVICES, DemoService
from eojobs_mock.server.option_codec import wire_option
from eojobs_mock.server.wire import iso

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://eojobs.invalid/mock-fusion")
PLATFORM_ORGANISATION = str(uuid.uuid5(NAMESPACE, "organisation/platform"))
LICENCE = str(uuid.uuid5(NAMESPACE, "licence/demo"))
CATALOGUE_TIME = 1704067200.0
REGION_INPUT = 0


def ssd_id(service_id: str) -> str:
    """The stable identity (SSD id) of a service."""
    return str(uuid.uuid5(NAMESPACE, f"ssd/{service_id}"))


def component_ids(demo: DemoService, component: str) -> tuple[str, str]:
    """The SSD id and service id of one component of a service's chain."""
    key = f"{demo.service.id}/{component}"
    return str(uuid.uuid5(NAMESPACE, f"ssd/{key}")), str(uuid.uuid5(NAMESPACE, f"service/{key}"))


@dataclass(frozen=True)
class Dispatcher:
    """A dispatcher service: where outputs can be delivered."""

    id: str
    name: str
    summary: str
    options: tuple[tuple[str, bool, str], ...]

    @property
    def ssd_id(self) -> str:
        """Its SSD id."""
        return ssd_id(self.id)


_CONDITION = ("condition", False, "Python expression over inputs deciding whether to dispatch.")
DISPATCHERS = (
    Dispatcher(str(uuid.uuid5(NAMESPACE, "dispatcher/email")), "Email Dispatcher",
               "E-mails links to the outputs (simulated: nothing is sent).",
               (("emails", True, "Comma-separated addresses of registered users."),
                ("message", False, "Text added to the e-mail."), _CONDITION)),
    Dispatcher(str(uuid.uuid5(NAMESPACE, "dispatcher/s3")), "AWS S3",
               "Copies the outputs to an S3 bucket (simulated: nothing is copied).",
               (("bucket", True, "Bucket name, with an optional key prefix."),
                ("access_key_id", False, "Access key id."),
                ("secret_access_key", False, "Secret access key."),
                ("session_token", False, "Session token."),
                ("kms_key_id", False, "KMS key used to encrypt the objects."), _CONDITION)),
)


def service_json(demo: DemoService) -> dict[str, Any]:
    """A processing service as a Fusion Service object."""
    svc = demo.service
    options = [f"{o.name} ({o.data_type.value}): {o.description}" for o in svc.options]
    inputs = ["Input 1: Region (GeoJSON): the region of interest."] + [
        f"Input {i.number}: {i.name} ({i.file_type}): {i.description}" for i in svc.inputs
    ]
    return _service_base(svc.id, svc.name, [svc.name] + [k for k in svc.keywords
                                                        if k != svc.name.lower()]) | {
        "documentation_summary": svc.summary,
        "documentation_description": f"{svc.summary} Runs as: {', '.join(demo.components)}.",
        "documentation_inputs": inputs,
        "documentation_outputs": [f"{c}: output files" for c in demo.components],
        "documentation_options": options,
        "option_validations": [{"expression": str(rule), "message": rule.message}
                               for rule in svc.option_rules],
    }


def dispatcher_service_json(dispatcher: Dispatcher) -> dict[str, Any]:
    """A dispatcher as a Fusion Service object."""
    return _service_base(dispatcher.id, dispatcher.name, ["dispatcher", dispatcher.name]) | {
        "documentation_summary": dispatcher.summary,
        "documentation_description": dispatcher.summary,
        "documentation_options": [f"{n}: {d}" for n, _, d in dispatcher.options],
    }


def _service_base(service_id: str, name: str, keywords: list[str]) -> dict[str, Any]:
    return {
        "id": service_id, "created_at": iso(CATALOGUE_TIME), "updated_at": iso(CATALOGUE_TIME),
        "organisation_id": PLATFORM_ORGANISATION, "ssd_id": ssd_id(service_id), "version": 1,
        "approval_status": "approved", "show_in_latest": True, "name": name,
        "categories": ["Demo"], "keywords": keywords,
        "image_id": str(uuid.uuid5(NAMESPACE, f"image/{service_id}")), "license_id": LICENCE,
        "documentation_assumptions": "Simulated by the eojobs mock platform; no real imagery.",
        "documentation_performance": "", "documentation_actions": "",
    }


def dispatcher_json(dispatcher: Dispatcher) -> dict[str, Any]:
    """A dispatcher as it sits in a process (and in ``extras.dispatchers``)."""
    return {
        "ssd_id": dispatcher.ssd_id, "name": dispatcher.name, "dispatch_intermediate": False,
        "documentation_summary": dispatcher.summary,
        "documentation_description": dispatcher.summary,
        "options": [
            {"ssd_id": dispatcher.ssd_id, "name": name, "value": None, "required": required,
             "data_type": "string", "validation": None, "mutually_exclusive": None,
             "advanced": name != "emails" and name != "bucket", "title": name.replace("_", " "),
             "description": description}
            for name, required, description in dispatcher.options
        ],
    }


def dispatchers_extras() -> dict[str, Any]:
    """The ``extras`` of process responses: the dispatchers a process can use."""
    return {"dispatchers": [dispatcher_json(d) for d in DISPATCHERS]}


def find_demo(service_id: str) -> DemoService | None:
    """A processing service by id or SSD id."""
    return next((d for d in SERVICES
                 if service_id in (d.service.id, ssd_id(d.service.id))), None)


def input_number(spec: InputSpec) -> int:
    """The wire ``input`` number of an extra input (the region is input 0)."""
    return spec.number - 1


def template_inputs(demo: DemoService) -> list[dict[str, Any]]:
    """The input slots of a process of this service, without data ids."""
    ssd = ssd_id(demo.service.id)
    slots = [_slot(ssd, REGION_INPUT, "GeoJSON", "Region",
                   "Region of interest: a polygon or multipolygon in WGS84.")]
    for spec in demo.service.inputs:
        slots.append(_slot(ssd, input_number(spec), spec.file_type, spec.name,
                           spec.description + ("" if spec.required else " (optional)")))
    return slots


def _slot(ssd: str, number: int, file_type: str, title: str, description: str) -> dict[str, Any]:
    return {"ssd_id": ssd, "input": number, "file_type": file_type, "resolution": None,
            "selectors": None, "model": "data", "change_trigger": False, "change_hash": None,
            "title": title, "description": description}


def option_list(demo: DemoService, values: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``options`` list of a process: every option of the service with its value."""
    ssd = ssd_id(demo.service.id)
    return [wire_option(ssd, spec, values.get(spec.name)) for spec in demo.service.options]


def default_values(demo: DemoService) -> dict[str, Any]:
    """Option values of a new process: the defaults, as the engine stores them."""
    return {spec.name: to_jsonable(coerce_value(spec, spec.default))
            for spec in demo.service.options if spec.default is not None}


def chains(demo: DemoService, input_ids: list[str | None],
           values: dict[str, Any]) -> list[dict[str, Any]]:
    """The processing chain of a process: one entry per component."""
    options = [{k: o[k] for k in ("name", "value", "data_type", "validation")}
               for o in option_list(demo, values)]
    entries = []
    for index, component in enumerate(demo.components):
        chain_ssd, chain_service = component_ids(demo, component)
        entries.append({"ssd_id": chain_ssd, "service_id": chain_service,
                        "inputs": input_ids if index == 0 else [], "outputs": [],
                        "options": options, "intermediate": False})
    return entries
