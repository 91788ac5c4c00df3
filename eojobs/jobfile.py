"""Job files: a job's service, region, options, inputs, name and schedule in YAML or JSON.

A job file is a mapping of these keys, all optional in the file (a command
line may supply the rest)::

    service: Elevation
    region: glasgow.geojson        # a path relative to this file, WKT, W,S,E,N,
                                   # [W, S, E, N], or inline GeoJSON
    options:
      resolution: 30
    inputs:
      2: mask.tif                  # by input number or name, relative to this file
    name: example
    schedule:
      start_at: 2030-01-01T06:00:00Z
      repeat_count: 7
      repeat_every: 1d             # or seconds, or ISO 8601 such as P1D

:func:`load_job_file` reads one strictly; :func:`job_document` and
:func:`dump_job_document` write one back from an existing job.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from eojobs.errors import Fix, JobFileError, Message, RegionError, message_of
from eojobs.models import Schedule
from eojobs.suggest import did_you_mean

if TYPE_CHECKING:
    from eojobs.connection import Connection
    from eojobs.job import Job
    from eojobs.region import Region, RegionFix

#: Larger files are refused before they are read: a job file is text, not data.
MAX_JOB_FILE_BYTES = 64 * 1024 * 1024
#: Endings that mark a region string as a file name, so it is looked for beside the job file.
_REGION_FILE_ENDINGS = (".geojson", ".json", ".kml", ".kmz", ".zip", ".shp", ".gpkg", ".wkt",
                        ".txt", ".gml")
_SCALARS = (str, int, float, bool, date, datetime, type(None))


class _JobDocument(BaseModel):
    """The keys of a job file; values are checked further by :func:`_definition`."""

    model_config = ConfigDict(extra="forbid")

    service: str | None = None
    region: Any = None
    options: dict[str, Any] = {}
    inputs: dict[int | str, str] = {}
    name: str | None = None
    schedule: dict[str, Any] | None = None


@dataclasses.dataclass(frozen=True)
class JobDefinition:
    """What a job file says, resolved: its region read and its input paths made whole."""

    service: str | None = None
    region: Region | None = None
    #: The region as the file gives it (a path made whole), to read again per feature.
    region_input: Any = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    inputs: dict[str, Path] = dataclasses.field(default_factory=dict)
    name: str | None = None
    schedule: Schedule | None = None
    #: Where it came from, for messages.
    source: str = ""

    def create_job(self, connection: Connection) -> Job:
        """Create (but do not start) the job on ``connection``."""
        where = f" in {self.source}" if self.source else ""
        if not self.service:
            raise JobFileError(f"no service{where}: add a 'service' key")
        if self.region is None:
            raise JobFileError(f"no region{where}: add a 'region' key")
        return connection.create_job(self.service, self.region, options=self.options,
                                     inputs=dict(self.inputs), name=self.name,
                                     schedule=self.schedule)


def load_job_file(path: str | os.PathLike[str], fix: RegionFix | None = None) -> JobDefinition:
    """Read a YAML or JSON job file (``.json`` is read as JSON, anything else as YAML).

    ``fix`` allows changes to the file's region, as for :meth:`Region.parse`.

    Raises JobFileError, with the file name and the key at fault, for a file
    that cannot be read or parsed, an unknown key, or a value of the wrong
    kind; RegionError (also naming the file) for a region that cannot be read.
    Options are not checked against a service here; that happens when the job
    is created.
    """
    given = Path(path).expanduser()
    source = str(path)
    data = _parse(_read_text(given, source), source, json_syntax=given.suffix.lower() == ".json")
    return _definition(data, source, given.parent, fix)


def _read_text(path: Path, source: str) -> str:
    try:
        if path.is_dir():
            raise JobFileError(f"{source} is a directory, not a job file")
        if path.stat().st_size > MAX_JOB_FILE_BYTES:
            raise JobFileError(f"{source} is too large for a job file "
                               f"(over {MAX_JOB_FILE_BYTES // 2**20} MiB)")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise JobFileError(f"no such job file: {source}") from None
    except OSError as exc:
        raise JobFileError(f"cannot read job file {source}: {exc.strerror or exc}") from None
    try:
        if b"\x00" in raw[:8192]:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "NUL byte")
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JobFileError(f"{source} is not a text file: a job file is YAML or JSON "
                           "in UTF-8") from None


def _parse(text: str, source: str, json_syntax: bool) -> Any:
    if json_syntax:
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys)
        except _DuplicateKey as exc:
            raise JobFileError(f"{source}: key {exc.args[0]!r} is given twice; give it once") \
                from None
        except json.JSONDecodeError as exc:
            raise JobFileError(f"{source}: not valid JSON: {exc.msg} "
                               f"(line {exc.lineno}, column {exc.colno})") from None
        except RecursionError:
            raise JobFileError(f"{source}: not valid JSON: nested too deeply") from None
    else:
        import yaml

        try:
            data = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
        except _DuplicateKey as exc:
            key, line = exc.args
            raise JobFileError(f"{source}: key {key!r} is given twice (again at line {line}); "
                               "give it once") from None
        except yaml.YAMLError as exc:
            raise JobFileError(f"{source}: not valid YAML: {_yaml_problem(exc)}") from None
        except ValueError as exc:
            # PyYAML builds dates as it reads, and 2024-05-32 fails there.
            raise JobFileError(f"{source}: not valid YAML: {exc}") from None
        except RecursionError:
            raise JobFileError(f"{source}: not valid YAML: nested too deeply") from None
    if data is None or data == {}:
        raise JobFileError(Message(
            f"{source} is empty: a job file needs at least a service and a region (e.g. ",
            Fix("eojobs.jobfile.job_document"), " makes one from a job)"))
    if not isinstance(data, dict):
        raise JobFileError(f"{source}: a job file is a mapping of keys such as service, region "
                           f"and options, not {_kind(data)}")
    return data


class _DuplicateKey(Exception):
    """A mapping gives one key twice: the later value would silently win."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


_YAML_LOADER: Any = None


def _loader() -> Any:
    """A safe YAML loader that refuses duplicate keys and reads scalars as YAML 1.2 does.

    PyYAML follows YAML 1.1, where ``no`` is false, ``0123`` is octal and
    ``1:30`` is 90. Here only true/false are booleans, and a number that
    would not be written back the same (``0123``, ``1.10``, ``1e3``) stays
    text, which option checking then reads with the option's own type.
    """
    global _YAML_LOADER
    if _YAML_LOADER is not None:
        return _YAML_LOADER
    import re

    import yaml

    class Loader(yaml.SafeLoader):
        """See :func:`_loader`."""

    numeric = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in numeric]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                                 re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))
    Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"),
                                 list("-+0123456789"))
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
        list("-+0123456789."))

    def number(loader: Any, node: Any) -> Any:
        text = loader.construct_scalar(node)
        value: Any = int(text) if node.tag.endswith(":int") else float(text)
        return value if str(value) == text else text

    def mapping(loader: Any, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            if isinstance(key, (str, int, float, bool)):
                seen[key] = 1
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    Loader.add_constructor("tag:yaml.org,2002:int", number)
    Loader.add_constructor("tag:yaml.org,2002:float", number)
    Loader.construct_mapping = mapping  # type: ignore[method-assign]
    _YAML_LOADER = Loader
    return Loader


def _yaml_problem(exc: Any) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    return f"{problem}{where}"


def _definition(data: dict[Any, Any], source: str, base: Path,
                fix: RegionFix | None) -> JobDefinition:
    try:
        document = _JobDocument.model_validate(data)
    except ValidationError as exc:
        raise JobFileError(_explain(exc, source, _JobDocument)) from None
    for key, value in document.options.items():
        if not isinstance(value, _SCALARS):
            raise JobFileError(f"{source}: options: {key!r} takes one value, not {_kind(value)}")
    region_input = _region_input(document.region, source, base)
    return JobDefinition(
        service=document.service,
        region=_region(region_input, source, fix),
        region_input=region_input,
        options=dict(document.options),
        inputs={str(k): _beside(base, v) for k, v in document.inputs.items()},
        name=document.name,
        schedule=_schedule(document.schedule, source),
        source=source,
    )


def _region_input(value: Any, source: str, base: Path) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and _is_file_name(value, base):
        return _beside(base, value)
    if isinstance(value, list):
        return tuple(value)
    if not isinstance(value, (str, dict, tuple)):
        raise JobFileError(f"{source}: region: give a file name, WKT, W,S,E,N, [W, S, E, N] "
                           f"or inline GeoJSON, not {_kind(value)}")
    return value


def _region(value: Any, source: str, fix: RegionFix | None) -> Region | None:
    from eojobs.region import Region

    if value is None:
        return None
    try:
        return Region.parse(value, fix)
    except RegionError as exc:
        raise RegionError(Message(f"{source}: region: ", message_of(exc))) from None


def _is_file_name(text: str, base: Path) -> bool:
    """Whether a region string names a file (beside the job file) rather than holding a region."""
    if any(c in text for c in "({[,\n"):
        return False
    try:
        if (base / Path(text).expanduser()).exists():
            return True
    except (OSError, ValueError):
        return False
    return text.strip().lower().endswith(_REGION_FILE_ENDINGS)


def _beside(base: Path, name: str) -> Path:
    path = Path(name.strip()).expanduser()
    return path if path.is_absolute() else base / path


def _schedule(value: dict[str, Any] | None, source: str) -> Schedule | None:
    from eojobs.durations import parse_duration

    if value is None:
        return None
    fields = dict(value)
    _warn_if_naive(fields.get("start_at"), source)
    if isinstance(fields.get("start_at"), date) and not isinstance(fields["start_at"], datetime):
        day = fields["start_at"]
        fields["start_at"] = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    gap = fields.get("repeat_every")
    if isinstance(gap, str) and not gap.strip().upper().startswith("P"):
        try:
            fields["repeat_every"] = parse_duration(gap)
        except ValueError as exc:
            raise JobFileError(f"{source}: schedule.repeat_every: {exc}") from None
    try:
        return Schedule.model_validate(fields)
    except ValidationError as exc:
        raise JobFileError(_explain(exc, source, Schedule, "schedule")) from None


def _warn_if_naive(start: Any, source: str) -> None:
    """Say (as AssumedUTCWarning) that a start time without a timezone is taken as UTC."""
    import warnings

    from eojobs.options import AssumedUTCWarning, outside_eojobs

    if isinstance(start, str):
        try:
            start = datetime.fromisoformat(start.strip().replace("Z", "+00:00"))
        except ValueError:
            return
    if isinstance(start, date) and (not isinstance(start, datetime) or start.tzinfo is None):
        warnings.warn(AssumedUTCWarning(f"{source}: schedule.start_at: no timezone given, "
                                        "assuming UTC"), stacklevel=outside_eojobs())


def _explain(exc: ValidationError, source: str, model: type[Any], prefix: str = "") -> str:
    """One line from a pydantic error: the file, the key, and what is wrong with it."""
    keys = list(model.model_fields) if hasattr(model, "model_fields") else model.field_names()
    parts = []
    for error in exc.errors():
        raw = list(error["loc"])
        if "[key]" in raw:
            at = raw.index("[key]")
            parent = ".".join(str(p) for p in [prefix, *raw[:at - 1]] if p)
            parts.append(f"{parent}: key {raw[at - 1]!r} is not a name; quote it")
            continue
        loc = [str(p) for p in raw]
        where = ".".join([prefix, *loc] if prefix else loc) or prefix or "job file"
        kind = error["type"]
        if kind in ("extra_forbidden", "unexpected_keyword_argument"):
            hint = did_you_mean(loc[-1], keys)
            scope = f"{prefix} " if prefix else ""
            parts.append(f"unknown {scope}key {loc[-1]!r}{hint}; the keys are: {', '.join(keys)}")
            continue
        if kind == "dict_type":
            message = f"should be a mapping of KEY: VALUE, not {_kind(error['input'])}"
        elif kind == "missing":
            message = "is required"
        elif kind == "value_error":
            message = str(error["msg"]).removeprefix("Value error, ")
        else:
            message = str(error["msg"])[0].lower() + str(error["msg"])[1:]
        parts.append(f"{where}: {message}")
    return f"{source}: " + "; ".join(dict.fromkeys(parts))


def _kind(value: Any) -> str:
    names = {list: "a list", dict: "a mapping", str: "a string", bool: "a boolean",
             int: "a number", float: "a number", type(None): "nothing"}
    return names.get(type(value), f"a {type(value).__name__}")


def job_document(job: Job) -> dict[str, Any]:
    """A job file's content that recreates ``job``: service, name, region, options, schedule.

    Extra input files are left out, as the backend does not give them back.
    """
    from eojobs.durations import format_duration
    from eojobs.options import to_jsonable

    info = job.info
    document: dict[str, Any] = {
        "service": info.service_name or info.service_id,
        "name": info.name,
        "region": job.region().to_geojson(),
        "options": {k: to_jsonable(v) for k, v in info.options.items() if v is not None},
    }
    if info.schedule is not None:
        plan: dict[str, Any] = {"start_at": info.schedule.start_at.isoformat(),
                                "repeat_count": info.schedule.repeat_count}
        if info.schedule.repeat_every is not None:
            plan["repeat_every"] = format_duration(info.schedule.repeat_every)
        document["schedule"] = plan
    return document


def dump_job_document(document: dict[str, Any]) -> str:
    """A job file's text in YAML, ending with a newline (``--json`` prints the dict as JSON)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """Block style, except a coordinate pair (a list of numbers) on one line."""

    def represent_list(dumper: yaml.SafeDumper, items: list[Any] | tuple[Any, ...]) -> Any:
        flat = bool(items) and all(isinstance(i, (int, float)) for i in items)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat)

    Dumper.add_representer(list, represent_list)
    Dumper.add_representer(tuple, represent_list)
    return yaml.dump(document, Dumper=Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True)
