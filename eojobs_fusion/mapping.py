"""Translation between Fusion Platform JSON and eojobs models, in both directions."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

from eojobs.models import (
    Asset,
    DataType,
    Execution,
    ExecutionStatus,
    InputSpec,
    JobInfo,
    JobStatus,
    OptionRule,
    OptionSpec,
    Schedule,
    Service,
)
from eojobs.stac_fields import four_numbers
from eojobs_fusion.extras import Dispatcher

Json = dict[str, Any]

M = TypeVar("M")

DATA_TYPES = {
    "numeric": DataType.NUMBER,
    "currency": DataType.CURRENCY,
    "boolean": DataType.BOOLEAN,
    "datetime": DataType.DATETIME,
    "string": DataType.STRING,
    "constrained": DataType.CONSTRAINED,
}
DEFAULT_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
MEDIA_TYPES = {
    "GeoTIFF": "image/tiff; application=geotiff",
    "JPEG2000": "image/jp2",
    "DEM": "application/octet-stream",
    "GeoJSON": "application/geo+json",
    "KML": "application/vnd.google-earth.kml+xml",
    "KMZ": "application/vnd.google-earth.kmz",
    "CSV": "text/csv",
    "ESRI Shapefile": "application/zip",
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "PDF": "application/pdf",
    "GZIP": "application/gzip",
    "ZIP": "application/zip",
}
FILE_TYPES = {
    ".tif": "GeoTIFF", ".tiff": "GeoTIFF", ".jp2": "JPEG2000", ".dem": "DEM",
    ".json": "GeoJSON", ".geojson": "GeoJSON", ".kml": "KML", ".kmz": "KMZ", ".csv": "CSV",
    ".zip": "ESRI Shapefile", ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".pdf": "PDF",
    ".gz": "GZIP",
}


def checked(model: type[M], **fields: Any) -> M:
    """A model built from what the platform sent, validated by pydantic.

    A value of the wrong type is an error (pydantic's ValidationError, a
    ValueError), never a model that holds it.
    """
    return model.model_validate(fields)  # type: ignore[no-any-return]


def rules(validation: str | None) -> dict[str, str]:
    """``"min=1;values=a,b"`` to ``{"min": "1", "values": "a,b"}``."""
    out: dict[str, str] = {}
    for part in (validation or "").split(";"):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def decode_value(data_type: str, value: Any, validation: str | None = None) -> Any:
    """A wire option value (a string) as a Python value, or None."""
    if value is None or value in ("", "None", "null"):
        return None
    if data_type == "boolean":
        return str(value).lower() == "true"
    if data_type == "numeric":
        number = float(value)
        return int(number) if number.is_integer() and "." not in str(value) else number
    if data_type == "currency":
        return Decimal(str(value))
    if data_type == "datetime":
        fmt = rules(validation).get("format")
        if fmt:
            try:
                moment = datetime.strptime(str(value), fmt)
            except ValueError:
                moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        else:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return str(value)


def encode_value(option: Json, value: Any) -> str | None:
    """A coerced Python value as the string the API expects for this option."""
    if value is None:
        return None
    kind = option.get("data_type")
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "datetime":
        fmt = rules(option.get("validation")).get("format", DEFAULT_DATETIME_FORMAT)
        return value.astimezone(timezone.utc).strftime(fmt)
    return str(value)


def service(wire: Json, template: Json | None = None) -> Service:
    """A Fusion service (and, when known, its process template) as an eojobs Service."""
    options: list[OptionSpec] = []
    inputs = []
    if template is not None:
        options = option_specs(template.get("options") or [])
        for number, slot in enumerate(template.get("inputs") or [], start=1):
            if number == 1:
                continue
            inputs.append(checked(InputSpec,
                number=number, name=slot.get("title") or f"input {number}",
                file_type=slot.get("file_type") or "Other",
                description=slot.get("description") or "",
            ))
    return checked(Service,
        id=wire["id"], name=wire.get("name", ""),
        summary=wire.get("documentation_summary") or "",
        keywords=list(wire.get("keywords") or []), options=options, inputs=inputs,
        aliases=[str(wire["ssd_id"])] if wire.get("ssd_id") else [],
        option_rules=option_rules(wire.get("option_validations"), {o.name for o in options}),
    )


_RULE = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|!=|<|>)\s*([a-z_][a-z0-9_]*)\s*$")


def option_rules(wires: Any, names: set[str]) -> list[OptionRule]:
    """The ``option_validations`` that compare two of the service's options.

    Fusion writes each as an expression with a message; those of the form
    ``name OP name`` are understood, and the platform still judges the rest.
    """
    found = []
    for wire in wires if isinstance(wires, list) else []:
        match = _RULE.match(str(wire.get("expression") or "")) if isinstance(wire, dict) else None
        if match and match.group(1) in names and match.group(3) in names:
            found.append(checked(OptionRule, left=match.group(1), op=match.group(2),  # type: ignore[arg-type]
                                    right=match.group(3), message=str(wire.get("message") or "")))
    return found


def option_specs(wires: list[Json]) -> list[OptionSpec]:
    """Option specs from a template's (or a dispatcher's) option list."""
    specs = []
    for option in wires:
        kind = DATA_TYPES.get(option.get("data_type", ""))
        if kind is None:
            continue
        found = rules(option.get("validation"))
        allowed = found.get("values")
        specs.append(checked(OptionSpec,
            name=option["name"], data_type=kind, required=bool(option.get("required")),
            default=_safe_decode(option.get("data_type", ""), option.get("value"),
                                 option.get("validation")),
            allowed=allowed.split(",") if allowed else None,
            minimum=_number(found.get("min")), maximum=_number(found.get("max")),
            description=option.get("description") or "", title=option.get("title") or "",
        ))
    return specs


def dispatcher(available: Json, current: Json, attached: bool) -> Dispatcher:
    """A dispatcher offered to a process; ``current`` holds its values when attached."""
    values = {o["name"]: _safe_decode(o.get("data_type", ""), o.get("value"), o.get("validation"))
              for o in current.get("options") or []}
    return checked(Dispatcher,
        name=str(available.get("name", "")), attached=attached,
        summary=available.get("documentation_summary") or "",
        options={k: v for k, v in values.items() if v is not None},
        option_specs=option_specs(available.get("options") or []),
    )


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _safe_decode(kind: str, value: Any, validation: str | None = None) -> Any:
    try:
        return decode_value(kind, value, validation)
    except (ValueError, ArithmeticError):
        return None


def repeat_gap(gap: timedelta | None) -> str | None:
    """A schedule's gap as the JSON relativedelta string the API keeps."""
    if gap is None:
        return None
    return json.dumps({"days": gap.days, "seconds": gap.seconds,
                       "microseconds": gap.microseconds})


def parse_time(value: Any) -> datetime | None:
    """An ISO datetime from the API, always timezone-aware."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def execution_status(wire: Json) -> ExecutionStatus:
    """The status of one execution."""
    if int(wire.get("progress") or 0) >= 100:
        if wire.get("success"):
            return ExecutionStatus.SUCCEEDED
        return ExecutionStatus.STOPPED if wire.get("stopped") else ExecutionStatus.FAILED
    if wire.get("stopped"):
        return ExecutionStatus.STOPPED
    if wire.get("abort"):
        return ExecutionStatus.FAILED
    return ExecutionStatus.RUNNING


def executions(wires: list[Json]) -> list[Execution]:
    """The executions of a process, oldest run first, each with its run number."""
    ordered = sorted(wires, key=lambda w: str(w.get("started_at") or ""))
    runs: dict[str, int] = {}
    out = []
    for wire in ordered:
        key = str(wire.get("group_id") or wire["id"])
        run = runs.setdefault(key, len(runs))
        count = int(wire.get("group_count") or 1)
        index = wire.get("group_index")
        grouped = wire.get("group_id") is not None
        # Slices are numbered 1..group_count; anything else in the group aggregates them.
        aggregator = grouped and (index is None or not 1 <= int(index) <= count)
        out.append(checked(Execution,
            id=wire["id"], run=run,
            part=("aggregate" if aggregator else f"slice-{int(index):02d}") if grouped else "",
            status=execution_status(wire), progress=float(wire.get("progress") or 0),
            started_at=parse_time(wire.get("started_at")),
            ended_at=parse_time(wire.get("ended_at")), error=wire.get("abort_reason"),
        ))
    return out


def job_status(process: Json, execs: list[Execution]) -> JobStatus:
    """The status of a job from its process and executions."""
    executing = process.get("process_status") == "execute"
    if any(e.status is ExecutionStatus.RUNNING for e in execs):
        return JobStatus.RUNNING
    if executing and process.get("run_type") != "run_schedule":
        # The platform puts a run-once process back to "stop" when its run is over;
        # until then executions may still be appearing one by one.
        return JobStatus.RUNNING
    if not execs and process.get("process_status") == "stop" and _was_stopped(process):
        return JobStatus.STOPPED
    if not execs:
        if not executing:
            return JobStatus.CREATED
        scheduled = process.get("run_type") == "run_schedule"
        start = parse_time(process.get("repeat_start"))
        future = start is not None and start > datetime.now(timezone.utc)
        return JobStatus.SCHEDULED if scheduled and future else JobStatus.RUNNING
    if executing and process.get("run_type") == "run_schedule":
        return JobStatus.SCHEDULED
    if any(e.status is ExecutionStatus.FAILED for e in execs):
        return JobStatus.FAILED
    if any(e.status is ExecutionStatus.STOPPED for e in execs):
        return JobStatus.STOPPED
    return JobStatus.SUCCEEDED


def _was_stopped(process: Json) -> bool:
    """A process that was executed and stopped before any execution began."""
    created = parse_time(process.get("created_at"))
    changed = parse_time(process.get("process_status_at"))
    return bool(created and changed and changed > created and process.get("repeat_start")
                and process.get("run_type") == "run_schedule")


def job_info(process: Json, wires: list[Json], service_name: str) -> JobInfo:
    """A process and its executions as an eojobs JobInfo."""
    execs = executions(wires)
    status = job_status(process, execs)
    schedule = None
    if process.get("run_type") == "run_schedule" and process.get("repeat_start"):
        gap = _gap(process.get("repeat_gap"))
        count = max(1, int(process.get("repeat_count") or 1))
        schedule = checked(Schedule, start_at=parse_time(process["repeat_start"]),
                           repeat_count=count, repeat_every=gap if count > 1 else None)
    options = {
        o["name"]: _safe_decode(o.get("data_type", ""), o.get("value"), o.get("validation"))
        for o in process.get("options") or [] if o.get("value") is not None
    }
    ends = [e.ended_at for e in execs if e.ended_at]
    failed = [e for e in execs if e.status is ExecutionStatus.FAILED]
    progress = sum(e.progress for e in execs) / len(execs) if execs else 0.0
    if status is JobStatus.SUCCEEDED:
        progress = 100.0
    return checked(JobInfo,
        id=process["id"], name=process.get("name", ""), service_id=process.get("service_id", ""),
        service_name=service_name, status=status,
        price=float(process["price"]) if process.get("price") is not None else None,
        progress=round(progress, 2), created_at=parse_time(process.get("created_at")),
        started_at=min((e.started_at for e in execs if e.started_at), default=None),
        ended_at=max(ends) if status.finished and ends else None, schedule=schedule,
        options={k: v for k, v in options.items() if v is not None},
        executions=execs,
        error=(failed[0].error or "the execution failed") if failed else None,
    )


def interim_info(process: Json, service_name: str) -> JobInfo:
    """A job still under way, read from the process alone (its ``executions`` summary).

    The summary says which executions have ended, not how they ended, so this
    is only used while something is still running; the caller fetches the
    executions once everything has ended.
    """
    summary = process.get("executions") or []
    ended = sum(1 for s in summary if s.get("ended_at"))
    if summary:
        status = JobStatus.RUNNING
    else:
        status = job_status(process, [])
    return checked(JobInfo,
        id=process["id"], name=process.get("name", ""), service_id=process.get("service_id", ""),
        service_name=service_name, status=status,
        price=float(process["price"]) if process.get("price") is not None else None,
        progress=round(100.0 * ended / len(summary), 2) if summary else 0.0,
        created_at=parse_time(process.get("created_at")),
    )


#: The ``job_status`` words of a process's execution summary that say how an execution stands.
SUMMARY_STATES = frozenset({"pending", "running", "succeeded", "failed", "stopped"})
_ENDED_STATES = frozenset({"succeeded", "failed", "stopped"})


def summary_wires(process: Json) -> list[Json] | None:
    """The executions a process's ``executions`` summary describes, shaped as execution wires.

    Enough for :func:`job_info`, with no request per execution: an ended
    execution's progress is 100, a running one's is unknown and taken as 0.
    None when the summary cannot be read alone: the process has executions
    the summary leaves out, or an entry's ``job_status`` is not a known word.
    """
    summary = process.get("executions") or []
    if process.get("has_executions") and not summary:
        return None
    wires = []
    for entry in summary:
        state = str(entry.get("job_status") or "").lower()
        if state not in SUMMARY_STATES:
            return None
        ended = state in _ENDED_STATES
        wires.append({
            "id": str(entry["process_execution_id"]), "group_id": entry.get("group_id"),
            "group_index": entry.get("group_index"), "group_count": entry.get("group_count"),
            "started_at": entry.get("started_at"), "ended_at": entry.get("ended_at"),
            "abort_reason": entry.get("abort_reason"), "progress": 100 if ended else 0,
            "success": state == "succeeded", "stopped": state == "stopped",
            "abort": state in ("failed", "stopped"),
        })
    return wires


def settled(process: Json) -> bool:
    """Whether every execution the summary lists has ended and no run is under way."""
    summary = process.get("executions") or []
    if not summary:
        return process.get("process_status") != "execute"
    if process.get("process_status") == "execute" and process.get("run_type") == "run_once":
        count = process.get("non_aggregator_count")
        if count is not None and len(summary) < int(count):
            return False
    return all(s.get("ended_at") for s in summary)


def run_marks(process: Json) -> tuple[Any, ...]:
    """What an execute changes in a process: its status, when that last changed, its runs.

    A run-once process goes back to ``stop`` when its run is over, so its
    status alone cannot tell whether it was executed since it was last read.
    """
    runs = tuple(str(s.get("process_execution_id")) for s in process.get("executions") or [])
    return (process.get("process_status"), process.get("process_status_at"),
            bool(process.get("has_executions")), runs)


def _gap(value: Any) -> timedelta | None:
    if not value:
        return None
    try:
        data = json.loads(value) if isinstance(value, str) else dict(value)
        fields = ("weeks", "days", "hours", "minutes", "seconds", "microseconds")
        return timedelta(**{k: float(data[k]) for k in fields if data.get(k)}) or None
    except (ValueError, TypeError):
        return None


def asset(file: Json, execution_id: str, component: str, preview: str | None = None,
          thumbnail: bool = False) -> Asset:
    """One file of an output data item as an eojobs Asset; ``preview`` names its PNG preview,
    and ``thumbnail`` says it is another file's preview."""
    keys = ("selectors", "resolution", "stac_item_file", "preview_file_id", "file_type")
    metadata = {k: file[k] for k in keys if file.get(k) is not None}
    metadata["data_id"] = file.get("data_id")
    item = file.get("stac_item")
    return checked(Asset,
        name=file["file_name"], size=int(file["size"]) if file.get("size") is not None else None,
        media_type=_media_type(file), execution_id=execution_id, component=component,
        checksum=None, href=f"{file['data_id']}/{file['file_id']}",
        roles=["thumbnail"] if thumbnail else ["data"],
        bbox=four_numbers(file.get("bounds")), crs=file.get("crs") or None, preview=preview,
        stac_item=item if isinstance(item, dict) else None, metadata=metadata,
    )


def preview_names(files: list[Json]) -> dict[str, str]:
    """The file name of each file's preview, by the previewed file's id."""
    names = {str(f.get("file_id")): str(f.get("file_name")) for f in files}
    return {str(f.get("file_id")): names[str(f["preview_file_id"])] for f in files
            if f.get("preview_file_id") is not None and str(f["preview_file_id"]) in names}


def _media_type(file: Json) -> str:
    """A file's media type: its STAC item's, which can be finer (a COG profile), or its type's."""
    item = file.get("stac_item")
    assets = item.get("assets") if isinstance(item, dict) else None
    for entry in assets.values() if isinstance(assets, dict) else ():
        if isinstance(entry, dict) and entry.get("type") and \
                str(entry.get("href", "")).rsplit("/", 1)[-1] == file.get("file_name"):
            return str(entry["type"])
    return MEDIA_TYPES.get(file.get("file_type", ""), "application/octet-stream")
