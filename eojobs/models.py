"""Provider-neutral data models shared by the core, the CLI and every backend."""

from __future__ import annotations

import enum
import operator
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Literal


class DataType(str, enum.Enum):
    """The data type of a service option: the Fusion Platform's, and those openEO adds."""

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

    The core refuses a missing one up front where it guards a call (schedules,
    stop, logs, credits, ...); the others are shown in ``eojobs backends``.
    """

    SCHEDULES = "schedules"
    STOP = "stop"
    LOGS = "logs"
    PRICE = "price"
    BATCH_STATUS = "batch-status"
    RESUMABLE_DOWNLOADS = "resumable-downloads"
    PREVIEWS = "previews"
    CREDITS = "credits"
    ORGANISATIONS = "organisations"
    DISPATCHERS = "dispatchers"
    COPY = "copy"
    DELETE_EXPIRY = "delete-expiry"
    SEARCH = "search"


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
class _Model:
    """Base of the models: frozen dataclasses, with the part of pydantic's API eojobs uses.

    They are plain dataclasses so that a command that only lists services or
    jobs does not pay for importing pydantic; pydantic is imported the first
    time a model is validated from raw data or dumped as JSON, and then gives
    exactly its usual results.
    """

    #: Read by pydantic when it validates: unknown keys are errors.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}

    def model_dump(self, *, mode: str = "python", exclude: set[str] | None = None) -> Any:
        """The model as a dict; ``mode="json"`` gives JSON types, as pydantic does."""
        return _adapter(type(self)).dump_python(self, mode=mode, exclude=exclude)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with the fields in ``update`` replaced."""
        return replace(self, **(update or {}))

    @classmethod
    def model_validate(cls, data: Any) -> Any:
        """A model from raw data (a dict of JSON-like values), validated and coerced by pydantic.

        Raises pydantic's ValidationError.
        """
        return _adapter(cls).validate_python(data)

    def _coerce(self, name: str, kind: Any, many: bool = False) -> None:
        """Turn the field ``name`` given as a plain value (an enum's value, a dict of a
        model's fields, or a list of them) into ``kind``, as pydantic did for callers."""
        value = getattr(self, name)

        def one(item: Any) -> Any:
            if isinstance(item, kind) or item is None:
                return item
            if isinstance(item, dict) and issubclass(kind, _Model):
                return kind(**item)
            try:
                return kind(item)
            except (ValueError, TypeError) as exc:
                raise TypeError(f"{type(self).__name__}.{name}: {item!r} is not a "
                                f"{kind.__name__}") from exc

        object.__setattr__(self, name, [one(v) for v in value] if many else one(value))

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        """``(name, value)`` of each field, so that ``dict(model)`` works as with pydantic."""
        return iter([(f.name, getattr(self, f.name)) for f in fields(self)])

    @classmethod
    def field_names(cls) -> list[str]:
        """The names of the model's fields, in order."""
        return [f.name for f in fields(cls)]


_ADAPTERS: dict[type, Any] = {}


def _adapter(model: type) -> Any:
    """pydantic's TypeAdapter of ``model``, made once."""
    found = _ADAPTERS.get(model)
    if found is None:
        from pydantic import TypeAdapter

        found = _ADAPTERS[model] = TypeAdapter(model)
    return found


@dataclass(frozen=True, kw_only=True)
class OptionSpec(_Model):
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
class OptionRule(_Model):
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
class InputSpec(_Model):
    """One file input a service accepts, besides the region."""

    number: int
    name: str
    file_type: str
    required: bool = False
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class Service(_Model):
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
class Schedule(_Model):
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
class Execution(_Model):
    """One execution of a job: one slice of one run, or the aggregator of a run."""

    id: str
    run: int = 0
    index: int | None = None
    count: int = 1
    aggregator: bool = False
    status: ExecutionStatus
    progress: float = 0.0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    abort_reason: str | None = None
    components: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._coerce("status", ExecutionStatus)


@dataclass(frozen=True, kw_only=True)
class JobInfo(_Model):
    """A snapshot of a job as the backend reports it."""

    id: str
    name: str
    service_id: str
    service_name: str
    status: JobStatus
    price: float | None = None
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
class Asset(_Model):
    """One output file of a job."""

    name: str
    size: int | None = None
    media_type: str = "application/octet-stream"
    execution_id: str
    component: str = ""
    #: The sha256 of the file as lower- or upper-case hex, where the backend gives one.
    checksum: str | None = None
    href: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        size = "size unknown" if self.size is None else f"{self.size} B"
        of = f" of {self.component}" if self.component else ""
        return f"<Asset {self.name!r}{of}, {size}, {self.media_type}>"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, kw_only=True)
class LogEntry(_Model):
    """One line of a job's log."""

    time: datetime
    execution_id: str
    component: str
    level: str = "info"
    message: str

    def __repr__(self) -> str:
        return f"<LogEntry {self}>"

    def __str__(self) -> str:
        return (f"{self.time:%Y-%m-%d %H:%M:%S} {self.level.upper()} {self.component}: "
                f"{self.message}")


@dataclass(frozen=True, kw_only=True)
class Dispatcher(_Model):
    """A delivery step a job can run after it finishes (e-mail, a bucket, ...)."""

    name: str
    attached: bool = False
    summary: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    option_specs: list[OptionSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._coerce("option_specs", OptionSpec, many=True)


@dataclass(frozen=True, kw_only=True)
class Organisation(_Model):
    """An organisation the account belongs to, with its credits."""

    id: str
    name: str
    credits: float | None = None


@dataclass(frozen=True, kw_only=True)
class RegionLimits(_Model):
    """What a backend takes in one job's region; None means no limit."""

    max_area_km2: float | None = None
    max_vertices: int | None = 100_000

    def __post_init__(self) -> None:
        if self.max_area_km2 is not None and not self.max_area_km2 > 0:
            raise ValueError(f"max_area_km2 must be above 0, not {self.max_area_km2}")
        if self.max_vertices is not None and not self.max_vertices > 3:
            raise ValueError(f"max_vertices must be above 3, not {self.max_vertices}")
