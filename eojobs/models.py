"""Provider-neutral data models shared by the core, the CLI and every backend."""

from __future__ import annotations

import enum
import operator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from eojobs.loglevel import LogLevel
from eojobs.model_base import Model

__all__ = [
    "Asset", "Capability", "DataType", "Execution", "ExecutionStatus", "InputSpec", "JobInfo",
    "JobStatus", "LogEntry", "LogLevel", "Model", "OptionRule", "OptionSpec", "RegionLimits",
    "Schedule", "Service",
]


class DataType(str, enum.Enum):
    """The data type of a service option, as the core validates and coerces it.

    A backend maps its platform's types onto these: a number with a currency
    unit is ``CURRENCY``; a choice among fixed values is ``CONSTRAINED``; any
    structure the core cannot check is ``JSON``.
    """

    NUMBER = "number"
    CURRENCY = "currency"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    STRING = "string"
    CONSTRAINED = "constrained"
    #: A whole number.
    INTEGER = "integer"
    #: A calendar day, without a time or a timezone.
    DATE = "date"
    #: Any JSON value, given as JSON text on the command line.
    JSON = "json"


class Capability(str, enum.Enum):
    """A feature a backend may or may not have.

    Most are methods: a backend has one because it overrides that method of
    :class:`eojobs.backend.Backend` (see ``METHOD_CAPABILITIES`` there). The
    rest are facts that no method shows, which a backend declares in its
    ``capabilities``.
    """

    #: ``stop()``: a running job can be stopped.
    STOP = "stop"
    #: ``logs()``: a job's log lines can be read.
    LOGS = "logs"
    #: ``credits()``: the account has credits to show.
    CREDITS = "credits"
    #: ``search()``: the scenes a job would fetch can be listed first.
    SEARCH = "search"
    #: ``get_jobs()``: the state of many jobs comes in one request.
    BATCH_STATUS = "batch-status"
    #: ``job_region()``: a job's region can be read back.
    JOB_REGION = "job-region"
    #: ``login()``: the platform has accounts to log in to.
    LOGIN = "login"
    #: Fact: ``submit`` takes a :class:`Schedule`.
    SCHEDULES = "schedules"
    #: Fact: ``submit`` gives the job's price before it starts.
    PRICE = "price"
    #: Fact: ``open_asset`` starts at any ``offset``, so a broken download resumes.
    RESUMABLE_DOWNLOADS = "resumable-downloads"


class JobStatus(str, enum.Enum):
    """Where a job is in its life."""

    CREATED = "created"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def finished(self) -> bool:
        """True once the job will not change any more by itself."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED)


class ExecutionStatus(str, enum.Enum):
    """Where one execution (one slice of one run) is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True, kw_only=True)
class OptionSpec(Model):
    """One option a service accepts."""

    name: str
    data_type: DataType
    required: bool = False
    default: Any = None
    allowed: list[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    #: The unit a number option is in (e.g. ``m``, ``%``), where the backend says.
    unit: str | None = None
    description: str = ""
    title: str = ""

    def __post_init__(self) -> None:
        self._coerce("data_type", DataType)

    def __repr__(self) -> str:
        return f"<OptionSpec {self}>"

    def __str__(self) -> str:
        parts = [self.data_type.value, "required" if self.required else ""]
        if self.default is not None:
            parts.append(f"default {self.default}")
        if self.allowed:
            parts.append("one of " + "|".join(self.allowed))
        if self.minimum is not None or self.maximum is not None:
            low = "" if self.minimum is None else f"{self.minimum:g}"
            high = "" if self.maximum is None else f"{self.maximum:g}"
            parts.append(f"{low}..{high}")
        if self.unit:
            parts.append(self.unit)
        return f"{self.name}: {', '.join(p for p in parts if p)}"


@dataclass(frozen=True, kw_only=True)
class OptionRule(Model):
    """A relation the service states between two options' values: ``left op right``.

    For example ``OptionRule(left="start_date", op="<", right="end_date")``. The
    core refuses values that break a rule before anything reaches the backend.
    """

    left: str
    op: Literal["<", "<=", ">", ">=", "!="]
    right: str
    #: The service's own words for the rule, when it gives them.
    message: str = ""

    def holds(self, left: Any, right: Any) -> bool:
        """Whether the values ``left`` and ``right`` keep the rule."""
        return bool(_COMPARE[self.op](left, right))

    def __str__(self) -> str:
        return f"{self.left} {self.op} {self.right}"


_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
            "!=": operator.ne}


@dataclass(frozen=True, kw_only=True)
class InputSpec(Model):
    """One file input a service accepts, besides the region."""

    number: int
    name: str
    file_type: str
    required: bool = False
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Service(Model):
    """A processing service offered by a backend."""

    id: str
    name: str
    summary: str = ""
    keywords: list[str] = field(default_factory=list)
    #: Other ids the backend knows the service by (e.g. Fusion's stable SSD id).
    aliases: list[str] = field(default_factory=list)
    options: list[OptionSpec] = field(default_factory=list)
    inputs: list[InputSpec] = field(default_factory=list)
    #: Relations between options' values that the service states.
    option_rules: list[OptionRule] = field(default_factory=list)
    #: What else the backend says of it (a STAC collection's extent, summaries, item assets).
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._coerce("options", OptionSpec, many=True)
        self._coerce("inputs", InputSpec, many=True)
        self._coerce("option_rules", OptionRule, many=True)

    def option(self, name: str) -> OptionSpec | None:
        """The option called ``name``, or None."""
        return next((o for o in self.options if o.name == name), None)

    def __repr__(self) -> str:
        names = ", ".join(o.name for o in self.options) or "no options"
        return f"<Service {self.name!r} {self.id} ({names})>"

    def __str__(self) -> str:
        return f"{self.name}: {self.summary}" if self.summary else self.name


@dataclass(frozen=True, kw_only=True)
class Schedule(Model):
    """When a job runs: once at ``start_at``, or ``repeat_count`` times ``repeat_every`` apart."""

    start_at: datetime
    repeat_count: int = 1
    repeat_every: timedelta | None = None

    def __post_init__(self) -> None:
        if isinstance(self.start_at, str):
            text = self.start_at.strip()
            object.__setattr__(self, "start_at", datetime.fromisoformat(
                text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text))
        if self.start_at.tzinfo is None:
            object.__setattr__(self, "start_at", self.start_at.replace(tzinfo=timezone.utc))
        if self.repeat_count < 1:
            raise ValueError("repeat_count must be at least 1")
        if self.repeat_count > 1 and not self.repeat_every:
            raise ValueError("a schedule that repeats needs repeat_every")
        if self.repeat_every is not None and self.repeat_every <= timedelta(0):
            raise ValueError("repeat_every must be positive")

    def run_times(self) -> list[datetime]:
        """The start time of every run."""
        gap = self.repeat_every or timedelta(0)
        return [self.start_at + i * gap for i in range(self.repeat_count)]


@dataclass(frozen=True, kw_only=True)
class Execution(Model):
    """One execution of a job: the work of one run, or of one part of a run.

    A job runs once, or several times on a schedule (``run`` counts from 0). A
    platform that splits a run into parts (such as the slices of a large
    region and the step that joins them) gives one execution per part.
    """

    id: str
    #: Which run of the job this belongs to, from 0.
    run: int = 0
    #: The part of the run it does, as a short name fit for a folder
    #: ("slice-01", "aggregate"); empty when it does the whole run.
    part: str = ""
    status: ExecutionStatus
    #: How far it is, from 0 to 100.
    progress: float = 0.0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    #: Why it failed or was stopped, where the platform says.
    error: str | None = None
    #: The names of the processing steps it ran, where the platform has steps.
    components: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._coerce("status", ExecutionStatus)


@dataclass(frozen=True, kw_only=True)
class JobInfo(Model):
    """A snapshot of a job as the backend reports it."""

    id: str
    name: str
    service_id: str
    service_name: str
    status: JobStatus
    price: float | None = None
    #: How far the job is, from 0 to 100.
    progress: float = 0.0
    created_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    schedule: Schedule | None = None
    options: dict[str, Any] = field(default_factory=dict)
    executions: list[Execution] = field(default_factory=list)
    error: str | None = None
    #: What the job used, as the platform reports it, such as
    #: ``{"cpu": {"value": 3, "unit": "cpu-seconds"}}``.
    usage: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._coerce("status", JobStatus)
        self._coerce("executions", Execution, many=True)
        self._coerce("schedule", Schedule)

    def __repr__(self) -> str:
        return f"<JobInfo {self.id} {self.name!r} {self.status.value} {self.progress:.0f}%>"


@dataclass(frozen=True, kw_only=True)
class Asset(Model):
    """One output file of a job."""

    name: str
    #: Its length in bytes, where the backend knows it; downloads check it.
    size: int | None = None
    media_type: str = "application/octet-stream"
    execution_id: str
    #: The processing step that wrote it, where the platform has steps.
    component: str = ""
    #: The sha256 of the file as lower- or upper-case hex, where the backend gives one.
    checksum: str | None = None
    #: Where the backend reads it from; opaque to the core.
    href: str
    #: What the file is for, in STAC's words ("data", "overview", "metadata", ...).
    roles: list[str] = field(default_factory=list)
    #: The area it covers: west, south, east, north in WGS84 degrees.
    bbox: tuple[float, float, float, float] | None = None
    #: The CRS of its pixels or coordinates ("EPSG:32630", a WKT or an OGC URN).
    crs: str | None = None
    #: A raster's height and width in pixels.
    shape: tuple[int, int] | None = None
    #: The name of the sibling asset (of the same execution) that previews it.
    preview: str | None = None
    #: A STAC Item the platform keeps for it, used as the base of the one eojobs writes.
    stac_item: dict[str, Any] | None = None
    #: Anything else the backend says of the file; the core reads none of it.
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.bbox is not None:
            object.__setattr__(self, "bbox", _floats(self.bbox, 4, "bbox"))
        if self.shape is not None:
            height, width = _floats(self.shape, 2, "shape")
            object.__setattr__(self, "shape", (int(height), int(width)))

    def __repr__(self) -> str:
        size = "size unknown" if self.size is None else f"{self.size} B"
        of = f" of {self.component}" if self.component else ""
        return f"<Asset {self.name!r}{of}, {size}, {self.media_type}>"

    def __str__(self) -> str:
        return self.name


def _floats(values: Any, count: int, name: str) -> tuple[float, ...]:
    """``values`` as a tuple of ``count`` floats; TypeError naming the field otherwise."""
    try:
        found = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        found = ()
    if len(found) != count or isinstance(values, str):
        raise TypeError(f"Asset.{name} must be {count} numbers, not {values!r}")
    return found


@dataclass(frozen=True, kw_only=True)
class LogEntry(Model):
    """One line of a job's log."""

    time: datetime
    execution_id: str
    component: str
    level: LogLevel = LogLevel.INFO
    message: str

    def __post_init__(self) -> None:
        self._coerce("level", LogLevel)

    def __repr__(self) -> str:
        return f"<LogEntry {self}>"

    def __str__(self) -> str:
        return (f"{self.time:%Y-%m-%d %H:%M:%S} {self.level.value.upper()} {self.component}: "
                f"{self.message}")


@dataclass(frozen=True, kw_only=True)
class RegionLimits(Model):
    """What a backend takes in one job's region; None means no limit."""

    max_area_km2: float | None = None
    max_vertices: int | None = 100_000

    def __post_init__(self) -> None:
        if self.max_area_km2 is not None and not self.max_area_km2 > 0:
            raise ValueError(f"max_area_km2 must be above 0, not {self.max_area_km2}")
        if self.max_vertices is not None and not self.max_vertices > 3:
            raise ValueError(f"max_vertices must be above 3, not {self.max_vertices}")
