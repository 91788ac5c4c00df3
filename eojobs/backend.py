"""The backend SPI: what a plugin implements to put a platform behind eojobs.

A backend translates; it does not behave. Waiting, retries, downloads,
option validation and region validation all live in the core. A backend
maps a handful of calls onto its platform. It has a feature because it
overrides that feature's method; every method it leaves alone raises
:class:`eojobs.errors.Unsupported`. ``capabilities`` declares only facts
that no method shows (see :class:`eojobs.models.Capability`).

Contracts every backend keeps:

* Only :meth:`Backend.open_asset` and the streams it returns are used from
  several threads at once (downloads run in a pool, one stream per thread);
  every other method is called from one thread at a time.
* Errors are those of :mod:`eojobs.errors`. A :class:`~eojobs.errors.BackendError`
  with ``transient=True`` says the same call may succeed if made again
  unchanged (a 503, a dropped connection, a timeout); the core retries those
  within its budgets and never retries the others.
* Progress is a number from 0 to 100; times are timezone-aware.
* Methods that create or change something (``submit``, ``start``, ``stop``,
  ``delete``) are never retried by the core after a failure whose outcome is
  unknown; a backend retries them only where the platform makes it safe.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from eojobs.errors import NotFound, Unsupported
from eojobs.models import (
    Asset,
    Capability,
    JobInfo,
    LogEntry,
    RegionLimits,
    Schedule,
    Service,
)
from eojobs.scenes import Scene
from eojobs.streams import ByteStream, ReadIntoStream, TaggedStream, stream_etag

if TYPE_CHECKING:
    from eojobs.region import Region

T = TypeVar("T")

__all__ = [
    "FACTS", "METHOD_CAPABILITIES", "Backend", "BackendSettings", "ByteStream", "JobHints",
    "JobRequest", "ReadIntoStream", "SearchRequest", "TaggedStream", "check_backend",
    "overrides", "stream_etag", "tell_user",
]


def tell_user(text: str) -> None:
    """Write a line for the user to stderr."""
    print(text, file=sys.stderr)


@dataclass(kw_only=True)
class BackendSettings:
    """Base for a backend's settings: a dataclass that a backend subclasses with its fields.

    Give every field a default. Fields may use pydantic's types and
    ``Annotated[float, pydantic.Field(gt=0)]`` constraints, and a subclass
    may be a ``pydantic.dataclasses.dataclass`` to have validators. Values
    from ``connect()``, the environment or ``config.toml`` are validated
    and coerced by pydantic, which is imported only then: a command run with
    the defaults pays nothing for it.
    """

    #: Read by pydantic when it validates: unknown settings are errors.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}


SettingsT = TypeVar("SettingsT", bound=BackendSettings)


@dataclass(frozen=True)
class JobRequest:
    """Everything a backend needs to create a job; the core has already validated it."""

    service: Service
    region: Region
    options: dict[str, Any]
    name: str
    inputs: dict[int, Path] = field(default_factory=dict)
    schedule: Schedule | None = None


@dataclass(frozen=True)
class SearchRequest:
    """A search for scenes (items) of a service over a region; the core has validated it."""

    service: Service
    region: Region
    options: dict[str, Any]


@dataclass(frozen=True)
class JobHints:
    """What the core will keep of a job listing, so a backend may list less.

    A backend may leave out jobs created before ``since`` and stop after the
    newest ``limit`` jobs; it may also ignore both. The core applies every
    filter again, so hints only save requests, they never decide results.
    """

    #: Only jobs created at or after this (timezone-aware) time are wanted.
    since: datetime | None = None
    #: Only the newest this many jobs are wanted.
    limit: int | None = None

    def newest(self, items: Iterable[T], created: Callable[[T], datetime | None]) -> list[T]:
        """Of ``items``, newest first, those the hints may want, at most ``limit`` of them.

        An item of no known creation time is kept whatever ``since`` says: a hint
        only saves requests, and the core decides (see :class:`JobHints`).
        """
        dated = [(created(item), item) for item in items]
        if self.since is not None:
            dated = [(c, i) for c, i in dated if c is None or c >= self.since]
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        dated.sort(key=lambda pair: pair[0] or oldest, reverse=True)
        kept = [i for _, i in dated]
        return kept[: self.limit] if self.limit is not None else kept


#: The capability each optional method gives a backend that overrides it.
METHOD_CAPABILITIES: dict[str, Capability] = {
    "stop": Capability.STOP,
    "logs": Capability.LOGS,
    "credits": Capability.CREDITS,
    "search": Capability.SEARCH,
    "get_jobs": Capability.BATCH_STATUS,
    "job_region": Capability.JOB_REGION,
    "login": Capability.LOGIN,
}
#: Capabilities no method shows, which a backend declares in ``capabilities``.
FACTS = frozenset({Capability.SCHEDULES, Capability.PRICE, Capability.RESUMABLE_DOWNLOADS})


class Backend(ABC, Generic[SettingsT]):
    """Abstract base of every backend, generic in its settings type.

    Class attributes describe the backend; instance methods talk to the
    platform. Subclass it as ``class MyBackend(Backend[MySettings])`` and set
    ``settings_model = MySettings``; ``self.settings`` is then a ``MySettings``.
    """

    #: Short name used in ``connect(name)`` and ``--backend``.
    name: ClassVar[str]
    #: One-line human title.
    title: ClassVar[str]
    #: Facts about the platform that no method shows (:data:`FACTS`). A method's
    #: capability may be listed too; the backend is then refused at
    #: registration unless it overrides that method.
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: The dataclass of its settings, a :class:`BackendSettings` subclass.
    settings_model: ClassVar[type[BackendSettings]] = BackendSettings
    #: False for a registered placeholder that cannot be used yet.
    implemented: ClassVar[bool] = True
    #: Fastest and slowest poll interval, in seconds, that suit this platform.
    poll_interval: ClassVar[tuple[float, float]] = (1.0, 30.0)
    #: Settings ``eojobs login`` asks for when they are not set; SecretStr ones are hidden.
    login_settings: ClassVar[tuple[str, ...]] = ()
    #: The setting that a suffix of the backend's name gives: with ``"provider"``,
    #: ``connect("stac:NAME")`` is ``connect("stac", provider="NAME")``. None takes no suffix.
    variant_setting: ClassVar[str | None] = None

    def __init__(self, settings: SettingsT) -> None:
        self.settings: SettingsT = settings

    @classmethod
    def features(cls) -> frozenset[Capability]:
        """What this backend can do: the methods it overrides and the facts it declares."""
        found = {cap for method, cap in METHOD_CAPABILITIES.items() if overrides(cls, method)}
        return frozenset(found | (set(cls.capabilities) & FACTS))

    def facts(self) -> frozenset[Capability]:
        """The facts this back-end has: by default those the class declares in ``capabilities``.

        Override it where a fact depends on the server, such as a platform
        that prices jobs only where it offers estimates; return a subset of
        the declared facts. Asked once per connection.
        """
        return frozenset(self.capabilities) & FACTS

    def available(self) -> frozenset[Capability]:
        """What this back-end can do: :meth:`features` with the facts that :meth:`facts` gives.

        Only declared facts count: a fact :meth:`facts` adds is ignored.
        """
        return frozenset(self.features() - FACTS) | (self.facts() & self.features() & FACTS)

    def unsupported(self, what: str) -> Unsupported:
        """The error of a feature this backend lacks: "the NAME backend does not support WHAT"."""
        return Unsupported(f"the {self.name} backend does not support {what}")

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections or other resources."""

    @classmethod
    def login_prompts(cls, settings: BackendSettings) -> tuple[str, ...]:
        """The settings ``eojobs login`` asks for, given those already set.

        The default is every one of :attr:`login_settings` that has no value.
        """
        return tuple(n for n in cls.login_settings if getattr(settings, n, None) is None)

    def login(self, say: Callable[[str], None] = tell_user) -> str:
        """Authenticate now, caching what lets later calls skip the password; returns who.

        ``say`` tells the user a step they must take themselves, such as a URL
        to open to approve the login; it writes to stderr by default. Gives
        :attr:`Capability.LOGIN`.
        """
        raise Unsupported(f"the {self.name} backend needs no login")

    @abstractmethod
    def list_services(self, search: str | None = None) -> list[Service]:
        """Services on offer; ``search`` filters by text where the platform can.

        The core filters again by name, summary and keywords, so a backend may
        ignore ``search``.
        """

    def get_service(self, service_id: str) -> Service:
        """One service by its exact id; the default scans :meth:`list_services`.

        Raises :class:`~eojobs.errors.NotFound` for an id the platform does not know.
        """
        for service in self.list_services():
            if service.id == service_id:
                return service
        raise NotFound(f"no service with id {service_id}")

    def region_limits(self, service: Service) -> RegionLimits:
        """The largest region ``service`` takes in one job; the core checks it before submit."""
        return RegionLimits()

    @abstractmethod
    def submit(self, request: JobRequest) -> JobInfo:
        """Create a job, priced where the platform prices, but do not start it.

        The status of the job returned is ``CREATED``. ``request.schedule`` is
        set only for a backend that declares :attr:`Capability.SCHEDULES`.
        """

    @abstractmethod
    def start(self, job_id: str) -> JobInfo:
        """Start a created job (or arm its schedule); raises NotFound for an unknown id."""

    def stop(self, job_id: str) -> JobInfo:
        """Stop a running job; its finished outputs stay. Gives :attr:`Capability.STOP`."""
        raise self.unsupported("stopping jobs")

    @abstractmethod
    def delete(self, job_id: str) -> None:
        """Delete a job and its outputs; raises NotFound for an unknown id."""

    @abstractmethod
    def get_job(self, job_id: str) -> JobInfo:
        """The current state of one job; raises NotFound for an unknown id."""

    @abstractmethod
    def list_jobs(self) -> list[JobInfo]:
        """All jobs of the account, newest first."""

    def recent_jobs(self, hints: JobHints) -> list[JobInfo]:
        """Jobs of the account, newest first, listing less where ``hints`` allow.

        Override it where the platform can page newest first or filter by
        time; the default lists every job with :meth:`list_jobs`, so a
        backend that only has that stays right.
        """
        return self.list_jobs()

    def get_jobs(self, job_ids: Iterable[str]) -> list[JobInfo]:
        """The state of many jobs, in the order asked, in as few requests as the platform allows.

        The default calls :meth:`get_job` for each; override it where the
        platform answers for many jobs at once, which gives
        :attr:`Capability.BATCH_STATUS`. An unknown id raises NotFound.
        """
        return [self.get_job(job_id) for job_id in job_ids]

    @abstractmethod
    def list_assets(self, job_id: str) -> list[Asset]:
        """The output files of every execution of a job; empty while it has none."""

    @abstractmethod
    def open_asset(self, asset: Asset, offset: int = 0) -> ByteStream:
        """A readable stream of an asset's bytes, starting at ``offset``.

        Called from several threads at once, one stream each. Raise
        :class:`eojobs.errors.RestartDownload` if the platform cannot start
        at ``offset`` (the engine then starts the file again), and
        :class:`eojobs.errors.NotReady` if the file is not ready yet. A
        backend that honours every ``offset`` declares
        :attr:`Capability.RESUMABLE_DOWNLOADS`.
        """

    def search(self, request: SearchRequest) -> list[Scene]:
        """The scenes a job of ``request`` would fetch, fetching nothing.

        Gives :attr:`Capability.SEARCH`.
        """
        raise self.unsupported("searching for scenes")

    def logs(self, job_id: str) -> list[LogEntry]:
        """The log lines of a job, oldest first. Gives :attr:`Capability.LOGS`."""
        raise self.unsupported("job logs")

    def credits(self) -> float:
        """Credits of the account. Gives :attr:`Capability.CREDITS`."""
        raise self.unsupported("credits")

    def stac_results(self, job_id: str) -> dict[str, Any] | None:
        """The back-end's own STAC document of a job's results, or None if it keeps none.

        An Item, an ItemCollection or a Collection, as the platform returned it;
        ``eojobs results --stac`` prints it instead of one eojobs builds. Asset
        hrefs in it that equal an :class:`Asset`'s ``href`` are pointed at the
        downloaded files.
        """
        return None

    def job_region(self, job_id: str) -> dict[str, Any]:
        """The GeoJSON geometry (or feature collection) of the region a job was created with.

        Gives :attr:`Capability.JOB_REGION`.
        """
        raise self.unsupported("giving back a job's region")


def overrides(cls: type, method: str) -> bool:
    """Whether ``cls`` has its own ``method``, not :class:`Backend`'s default."""
    return getattr(cls, method, None) is not getattr(Backend, method)


def check_backend(cls: object) -> list[str]:
    """What is wrong with a backend class, as sentences; empty when it is fit to register."""
    if not isinstance(cls, type) or not issubclass(cls, Backend):
        return [f"{cls!r} is not a subclass of eojobs.backend.Backend"]
    problems = []
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        problems.append(f"its name must be a word of letters, digits and _, not {name!r}")
    if not isinstance(getattr(cls, "title", None), str):
        problems.append("it has no title")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        problems.append(f"it does not implement {', '.join(m + '()' for m in missing)}")
    declared = cls.capabilities
    if not isinstance(declared, (frozenset, set)):
        problems.append(f"its capabilities must be a frozenset of Capability, not {declared!r}")
        declared = frozenset()
    unknown = [c for c in declared if not isinstance(c, Capability)]
    if unknown:
        problems.append(f"its capabilities hold {unknown!r}, which are not Capability members")
    for method, cap in METHOD_CAPABILITIES.items():
        if cap in declared and not overrides(cls, method):
            problems.append(f"it declares {cap.value!r} but does not implement {method}()")
    problems.extend(_interval_problems(cls.poll_interval))
    model = cls.settings_model
    if not (isinstance(model, type) and issubclass(model, BackendSettings)):
        problems.append(f"its settings_model {model!r} is not a BackendSettings subclass")
        return problems
    names = cls.login_settings
    if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
        problems.append(f"its login_settings must be a tuple of setting names, not {names!r}")
        names = ()
    fields = set(getattr(model, "__dataclass_fields__", {}))
    variant = cls.variant_setting
    for setting in (*names, *([variant] if isinstance(variant, str) else [])):
        if setting not in fields:
            problems.append(f"it names a setting {setting!r} that {model.__name__} has not")
    return problems


def _interval_problems(interval: object) -> list[str]:
    """Why ``interval`` is not a (fastest, slowest) pair of positive seconds, if it is not."""
    fits = (isinstance(interval, tuple) and len(interval) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in interval)
            and 0 < interval[0] <= interval[1])
    return [] if fits else [f"its poll_interval {interval!r} is not (fastest, slowest) "
                            "seconds above 0"]
