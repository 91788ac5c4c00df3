"""Turning a process body into a validated, priced engine job (create and update)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from eojobs.errors import RegionError
from eojobs.region import Region
from eojobs_mock.engine.catalogue import DemoService
from eojobs_mock.server import schedule_codec
from eojobs_mock.server.analysis import accepts
from eojobs_mock.server.catalogue_view import (
    DISPATCHERS,
    REGION_INPUT,
    default_values,
    dispatcher_json,
    ssd_id,
    template_inputs,
)
from eojobs_mock.server.errors import bad_request
from eojobs_mock.server.option_codec import decode
from eojobs_mock.server.state import ServerState
from eojobs_mock.server.wire import parse_time

MAX_STORAGE_DAYS = 365


@dataclass
class Draft:
    """A process being created or changed: name, option values and process fields."""

    name: str
    demo: DemoService
    options: dict[str, Any]
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineJob:
    """What the engine needs to create (or redefine) the job of a draft."""

    region: dict[str, Any]
    slices: list[dict[str, Any]]
    price: float
    schedule: dict[str, Any] | None
    inputs: dict[str, str]


def new_draft(demo: DemoService, now: float) -> Draft:
    """A draft with the service's defaults, run once, nothing attached."""
    return Draft("", demo, default_values(demo), {
        "run_type": schedule_codec.RUN_ONCE, "repeat_count": 0, "repeat_start": now,
        "repeat_end": None, "repeat_gap": None, "repeat_offset": None,
        "output_storage_period": 30, "dispatchers": [], "inputs": {},
    })


def apply(state: ServerState, draft: Draft, body: dict[str, Any], now: float) -> Draft:
    """The draft with a body's fields applied and everything checked; 400 on the first problem."""
    changed = Draft(draft.name, draft.demo, dict(draft.options), copy.deepcopy(draft.fields))
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"].strip():
            raise bad_request("Process[name] must be a non-empty string")
        changed.name = body["name"].strip()
    if body.get("inputs") is not None:
        changed.fields["inputs"] = _inputs(state, draft.demo, body["inputs"])
    if body.get("options") is not None:
        changed.options = _options(draft.demo, draft.options, body["options"])
    _schedule(changed.fields, body, now)
    if body.get("dispatchers") is not None:
        changed.fields["dispatchers"] = _dispatchers(body["dispatchers"])
    if not changed.name:
        raise bad_request("Process[name] is required")
    for spec in draft.demo.service.options:
        if spec.required and changed.options.get(spec.name) is None:
            raise bad_request(f"option {spec.name!r} is required ({spec.title or spec.name})")
    schedule_codec.engine_schedule(changed.fields)
    return changed


def engine_job(state: ServerState, draft: Draft) -> EngineJob:
    """The region, slices, price, schedule and extra inputs of a draft."""
    region_id = draft.fields["inputs"].get(str(REGION_INPUT))
    if region_id is None:
        raise bad_request("input 0 (Region) needs a data item: upload a GeoJSON region and put "
                          "its id in Process[inputs]")
    record = state.data.files(region_id)[0]
    try:
        region = Region.from_file(state.data.path(record.file_id))
    except RegionError as problem:
        raise bad_request(f"input 0 (Region): {problem}") from None
    slices = [{"geometry": piece.to_geojson(), "area_km2": piece.area_km2}
              for piece in region.split(state.max_slice_km2)]
    extra = {str(int(k) + 1): v for k, v in draft.fields["inputs"].items()
             if k != str(REGION_INPUT)}
    return EngineJob(region.to_geojson(), slices,
                     draft.demo.price(region.area_km2, draft.options),
                     schedule_codec.engine_schedule(draft.fields), extra)


def _inputs(state: ServerState, demo: DemoService, given: Any) -> dict[str, str]:
    if not isinstance(given, list):
        raise bad_request("Process[inputs] must be a list of inputs")
    slots = {slot["input"]: slot for slot in template_inputs(demo)}
    chosen: dict[str, str] = {}
    for entry in given:
        if not isinstance(entry, dict) or not isinstance(entry.get("input"), int):
            raise bad_request("every entry of Process[inputs] needs an integer 'input'")
        slot = slots.get(entry["input"])
        if slot is None or str(entry.get("ssd_id", slot["ssd_id"])) != slot["ssd_id"]:
            raise bad_request(f"{demo.service.name} has no input {entry['input']}; its inputs "
                              f"are {', '.join(str(n) for n in slots)}")
        if entry.get("id") is not None:
            chosen[str(slot["input"])] = _input_data(state, slot, str(entry["id"]))
    return chosen


def _input_data(state: ServerState, slot: dict[str, Any], data_id: str) -> str:
    where = f"input {slot['input']} ({slot['title']})"
    item = state.data.item(data_id)
    if item is None or item.organisation_id != state.organisation_id:
        raise bad_request(f"{where}: there is no data item {data_id}")
    files = state.data.files(data_id)
    if not files:
        raise bad_request(f"{where}: data item {data_id} has no files")
    if any(f.size is None for f in files):
        raise bad_request(f"{where}: data item {data_id} is still being uploaded")
    first = files[0]
    if first.analysis and first.analysis.get("error"):
        reason = first.analysis.get("error_message", "its analysis failed")
        raise bad_request(f"{where}: data item {data_id} cannot be used: {reason}")
    if not accepts(slot["file_type"], first.file_type):
        raise bad_request(f"{where} needs a {slot['file_type']} file, not {first.file_type}")
    if slot["input"] == REGION_INPUT and first.file_type != "GeoJSON":
        raise bad_request(f"{where}: the mock platform reads regions from GeoJSON files only")
    return data_id


def _options(demo: DemoService, current: dict[str, Any], given: Any) -> dict[str, Any]:
    if not isinstance(given, list):
        raise bad_request("Process[options] must be a list of options")
    specs = {spec.name: spec for spec in demo.service.options}
    defaults = default_values(demo)
    values = dict(current)
    for entry in given:
        name = entry.get("name") if isinstance(entry, dict) else None
        if name not in specs:
            raise bad_request(f"{demo.service.name} has no option {name!r}; its options are "
                              f"{', '.join(specs)}")
        if "ssd_id" in entry and str(entry["ssd_id"]) != ssd_id(demo.service.id):
            raise bad_request(f"option {name!r} belongs to another service (ssd_id)")
        value = decode(specs[name], entry.get("value"))
        if value is None:
            value = defaults.get(name)
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    return values


def _schedule(fields: dict[str, Any], body: dict[str, Any], now: float) -> None:
    if "run_type" in body:
        if body["run_type"] not in (schedule_codec.RUN_ONCE, schedule_codec.RUN_SCHEDULE):
            raise bad_request("Process[run_type] must be run_once or run_schedule")
        fields["run_type"] = body["run_type"]
    if "repeat_count" in body:
        count = body["repeat_count"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise bad_request("Process[repeat_count] must be a whole number, 0 or more")
        fields["repeat_count"] = count
    if "repeat_start" in body:
        value = body["repeat_start"]
        fields["repeat_start"] = now if value is None else parse_time(value, "repeat_start")
    if "repeat_end" in body:
        value = body["repeat_end"]
        fields["repeat_end"] = None if value is None else parse_time(value, "repeat_end")
    if "repeat_gap" in body:
        fields["repeat_gap"] = schedule_codec.gap_seconds(body["repeat_gap"])
    if "repeat_offset" in body:
        fields["repeat_offset"] = schedule_codec.offset_seconds(body["repeat_offset"])
    if body.get("output_storage_period") is not None:
        days = body["output_storage_period"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_STORAGE_DAYS:
            raise bad_request(f"Process[output_storage_period] must be 1 to {MAX_STORAGE_DAYS} "
                              "days")
        fields["output_storage_period"] = days


def _dispatchers(given: Any) -> list[dict[str, Any]]:
    if not isinstance(given, list):
        raise bad_request("Process[dispatchers] must be a list of dispatchers")
    chosen = []
    for entry in given:
        if not isinstance(entry, dict):
            raise bad_request("every entry of Process[dispatchers] must be an object")
        known = next((d for d in DISPATCHERS if str(entry.get("ssd_id")) == d.ssd_id
                      or entry.get("name") == d.name), None)
        if known is None:
            raise bad_request(f"there is no dispatcher {entry.get('name') or entry.get('ssd_id')!r}"
                              f"; use one of {', '.join(d.name for d in DISPATCHERS)}")
        attached = dispatcher_json(known)
        attached["dispatch_intermediate"] = bool(entry.get("dispatch_intermediate") or False)
        given_values = {o.get("name"): o.get("value") for o in entry.get("options") or []
                        if isinstance(o, dict)}
        names = {o["name"] for o in attached["options"]}
        for name in given_values:
            if name not in names:
                raise bad_request(f"dispatcher {known.name!r} has no option {name!r}")
        for option in attached["options"]:
            value = given_values.get(option["name"])
            if value is not None and not isinstance(value, str):
                raise bad_request(f"dispatcher {known.name!r} option {option['name']!r} must "
                                  "be a string")
            option["value"] = value or None
            if option["required"] and not option["value"]:
                raise bad_request(f"dispatcher {known.name!r} needs option {option['name']!r}")
        chosen.append(attached)
    return chosen
