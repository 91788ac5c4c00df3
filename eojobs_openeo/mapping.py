"""openEO documents to eojobs models and back: processes, parameters, jobs, assets, logs.

Pure functions of JSON; no HTTP here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from typing import Any

from eojobs.models import Asset, DataType, JobInfo, JobStatus, LogEntry, OptionSpec, Service
from eojobs.stac_fields import pixel_shape, projection_code

Json = dict[str, Any]

#: Parameter subtypes that take the job's region.
REGION_SUBTYPES = ("geojson", "bounding-box")
STATUSES = {
    "created": JobStatus.CREATED,
    "queued": JobStatus.RUNNING,
    "running": JobStatus.RUNNING,
    "finished": JobStatus.SUCCEEDED,
    "error": JobStatus.FAILED,
    "canceled": JobStatus.STOPPED,
}
LEVELS = {"error": "error", "warning": "warning", "info": "info", "debug": "debug"}


def schemas(parameter: Json) -> list[Json]:
    """The parameter's schemas (one, or the alternatives of a list), without ``null``."""
    schema = parameter.get("schema")
    found = schema if isinstance(schema, list) else [schema]
    return [s for s in found if isinstance(s, dict) and s.get("type") != "null"]


def region_subtype(parameter: Json) -> str | None:
    """``geojson`` or ``bounding-box`` when the parameter takes the region, else None."""
    for schema in schemas(parameter):
        if schema.get("subtype") in REGION_SUBTYPES:
            return str(schema["subtype"])
    return None


def region_parameter(process: Json) -> tuple[str, str] | None:
    """``(name, subtype)`` of the process's region parameter, or None if it has none."""
    for parameter in process.get("parameters") or []:
        if isinstance(parameter, dict) and (subtype := region_subtype(parameter)):
            return str(parameter.get("name")), subtype
    return None


def kind(parameter: Json) -> DataType:
    """The option type a parameter's schema is offered as; anything unlisted takes JSON."""
    found = schemas(parameter)
    if len(found) != 1:
        return DataType.JSON
    schema = found[0]
    kind_of = schema.get("type")
    if isinstance(kind_of, list):
        others = [t for t in kind_of if t != "null"]
        kind_of = others[0] if len(others) == 1 else None
    if kind_of == "string":
        form = schema.get("subtype") or schema.get("format")
        if form == "date":
            return DataType.DATE
        if form == "date-time":
            return DataType.DATETIME
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return DataType.CONSTRAINED
        return DataType.STRING
    simple = {"integer": DataType.INTEGER, "number": DataType.NUMBER,
              "boolean": DataType.BOOLEAN}
    return simple.get(kind_of, DataType.JSON) if isinstance(kind_of, str) else DataType.JSON


def option(parameter: Json) -> OptionSpec:
    """The option a process parameter offers."""
    found = kind(parameter)
    schema = schemas(parameter)[0] if found is not DataType.JSON else {}
    default = parameter.get("default")
    if found is DataType.JSON and default is not None:
        default = json.dumps(default)
    allowed = [str(v) for v in schema.get("enum")] if found is DataType.CONSTRAINED else None
    number = found in (DataType.NUMBER, DataType.INTEGER)
    return OptionSpec(
        name=str(parameter["name"]), data_type=found,
        required=not parameter.get("optional") and "default" not in parameter,
        default=default, allowed=allowed,
        minimum=_float(schema.get("minimum")) if number else None,
        maximum=_float(schema.get("maximum")) if number else None,
        description=str(parameter.get("description") or ""),
        title=str(schema.get("title") or ""),
    )


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def service(process: Json) -> Service:
    """A user-defined process as a service; its region parameter is not an option."""
    region = region_parameter(process)
    options = [option(p) for p in process.get("parameters") or []
               if isinstance(p, dict) and (region is None or p.get("name") != region[0])]
    summary = str(process.get("summary") or process.get("description") or "")
    keywords = [str(c) for c in process.get("categories") or []]
    return Service(id=str(process["id"]), name=str(process["id"]), summary=summary.strip(),
                   keywords=keywords, options=options)


def encode_option(value: Any) -> Any:
    """An option value, as the core coerced it, in the form openEO takes it."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def region_value(subtype: str, geometry: Json, bounds: tuple[float, ...]) -> Json:
    """The region as a ``geojson`` geometry or a ``bounding-box`` in WGS84."""
    if subtype == "bounding-box":
        west, south, east, north = bounds
        return {"west": west, "south": south, "east": east, "north": north, "crs": 4326}
    return geometry


def process_graph(process_id: str, arguments: Json) -> Json:
    """A one-node process graph calling the user-defined process ``process_id``."""
    return {"process_graph": {"run": {"process_id": process_id, "namespace": "user",
                                      "arguments": arguments, "result": True}}}


def called_process(job: Json) -> str:
    """The process a job runs: the ``id`` of its process, or the one its one node calls.

    "" when the job is neither (not one eojobs would make).
    """
    process = job.get("process")
    if not isinstance(process, dict):
        return ""
    if process.get("id"):
        return str(process["id"])
    graph = process.get("process_graph")
    if isinstance(graph, dict) and len(graph) == 1:
        node = next(iter(graph.values()))
        if isinstance(node, dict) and node.get("process_id"):
            return str(node["process_id"])
    return ""


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 time, timezone-aware; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def job_info(job: Json, *, price: float | None = None, error: str | None = None,
             process_id: str | None = None) -> JobInfo:
    """A job document (full or listed) as a JobInfo.

    ``process_id`` names the process the job calls where the document does not
    hold it (a listed job).
    """
    status = STATUSES.get(str(job.get("status")))
    if status is None:
        raise ValueError(f"unknown job status {job.get('status')!r}")
    progress = job.get("progress")
    if not isinstance(progress, (int, float)) or isinstance(progress, bool):
        progress = 100.0 if status is JobStatus.SUCCEEDED else 0.0
    costs = job.get("costs")
    if price is None and isinstance(costs, (int, float)) and not isinstance(costs, bool):
        price = float(costs)
    if process_id is None:
        process_id = called_process(job)
    finished = status.finished
    return JobInfo(
        id=str(job["id"]), name=str(job.get("title") or ""), service_id=process_id,
        service_name=process_id, status=status, price=price,
        progress=max(0.0, min(100.0, float(progress))),
        created_at=parse_time(job.get("created")),
        ended_at=parse_time(job.get("updated")) if finished else None,
        error=error,
        usage=usage if isinstance(usage := job.get("usage"), dict) else {},
    )


def estimate(body: Any) -> float | None:
    """The estimated costs of an estimate document, or None if it states none."""
    costs = body.get("costs") if isinstance(body, dict) else None
    if isinstance(costs, (int, float)) and not isinstance(costs, bool):
        return float(costs)
    return None


def assets(job_id: str, results: Json) -> list[Asset]:
    """The STAC assets of a job's results document."""
    found = results.get("assets")
    if not isinstance(found, dict):
        raise ValueError("the results have no assets object")
    out = []
    for name, asset in found.items():
        if not isinstance(asset, dict) or not asset.get("href"):
            continue
        size = asset.get("file:size")
        metadata = {k: asset[k] for k in ("title", "description") if asset.get(k)}
        roles = asset.get("roles")
        out.append(Asset(
            name=str(name), href=str(asset["href"]), execution_id=job_id,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            media_type=str(asset.get("type") or "application/octet-stream"),
            roles=[str(r) for r in roles] if isinstance(roles, list) else [],
            crs=projection_code(asset), shape=pixel_shape(asset.get("proj:shape")),
            metadata=metadata,
        ))
    return out


def log_entry(entry: Json, job_id: str, fallback_time: datetime) -> LogEntry:
    """One openEO log entry; an entry without a time gets ``fallback_time``."""
    level = LEVELS.get(str(entry.get("level") or "").lower(), "info")
    message = str(entry.get("message") or "")
    code = entry.get("code")
    return LogEntry(time=parse_time(entry.get("time")) or fallback_time, execution_id=job_id,
                    component=str(code) if code else "", level=level, message=message)
