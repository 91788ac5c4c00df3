"""The backend SPI: what a plugin implements to put a platform behind eojobs.

A backend translates; it does not behave. Waiting, retries, downloads,
option validation and region validation all live in the core. A backend
maps a handful of calls onto its platform and reports what it can do
through ``capabilities``.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from eojobs.models import (
    Asset,
    Capability,
    Dispatcher,
    JobInfo,
    LogEntry,
    Organisation,
    RegionLimits,
    Schedule,
    Service,
)
from eojobs.scenes import Scene

if TYPE_CHECKING:
    from eojobs.region import Region

T = TypeVar("T")


class ByteStream(Protocol):
    """What :meth:`Backend.open_asset` returns: a readable, closable byte stream.

    It may carry an ``etag`` attribute, so the download engine can tell that a
    file changed between two tries.
    """

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        ...

    def close(self) -> None:
        """Release the stream."""
        ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: Any) -> Any: ...


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


class Backend(ABC):
    """Abstract base of every backend.

    Class attributes describe the backend; instance methods talk to the platform.
    """

    #: Short name used in ``connect(name)`` and ``--backend``.
    name: ClassVar[str]
    #: One-line human title.
    title: ClassVar[str]
    #: Features this backend has.
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    #: The pydantic model of its settings.
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

    def __init__(self, settings: BackendSettings) -> None:
        self.settings = settings

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
        to open to approve the login; it writes to stderr by default.
        """
        from eojobs.errors import Unsupported

        raise Unsupported(f"the {self.name} backend needs no login")

    @abstractmethod
    def list_services(self, search: str | None = None) -> list[Service]:
        """Services on offer; ``search`` filters by text where the platform can."""

    def get_service(self, service_id: str) -> Service:
        """One service by its exact id; the default scans :meth:`list_services`."""
        from eojobs.errors import NotFound

        for service in self.list_services():
            if service.id == service_id:
                return service
        raise NotFound(f"no service with id {service_id}")

    def region_limits(self, service: Service) -> RegionLimits:
        """The largest region ``service`` takes in one job; the core checks it before submit."""
        return RegionLimits()

    @abstractmethod
    def submit(self, request: JobRequest) -> JobInfo:
        """Create a job, priced, but do not start it."""

    @abstractmethod
    def start(self, job_id: str) -> JobInfo:
        """Start a created job (or arm its schedule)."""

    def stop(self, job_id: str) -> JobInfo:
        """Stop a running job; only for backends with ``Capability.STOP``."""
        raise NotImplementedError

    @abstractmethod
    def delete(self, job_id: str) -> None:
        """Delete a job and its outputs."""

    @abstractmethod
    def get_job(self, job_id: str) -> JobInfo:
        """The current state of one job; raises NotFound."""

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
        """The state of many jobs; override with one request where the platform allows."""
        return [self.get_job(job_id) for job_id in job_ids]

    @abstractmethod
    def list_assets(self, job_id: str) -> list[Asset]:
        """The output files of every execution of a job."""

    @abstractmethod
    def open_asset(self, asset: Asset, offset: int = 0) -> ByteStream:
        """A readable stream of an asset's bytes, starting at ``offset``.

        Raise :class:`eojobs.errors.RestartDownload` if the platform cannot
        start there, and :class:`eojobs.errors.NotReady` if the file is not
        ready yet.
        """

    def search(self, request: SearchRequest) -> list[Scene]:
        """The scenes a job of ``request`` would fetch, fetching nothing; only with
        ``Capability.SEARCH``."""
        raise NotImplementedError

    def logs(self, job_id: str) -> list[LogEntry]:
        """The log lines of a job; only for backends with ``Capability.LOGS``."""
        raise NotImplementedError

    def credits(self) -> float:
        """Credits of the account; only with ``Capability.CREDITS``."""
        raise NotImplementedError

    def organisations(self) -> list[Organisation]:
        """Organisations of the account; only with ``Capability.ORGANISATIONS``."""
        raise NotImplementedError

    def dispatchers(self, job_id: str) -> list[Dispatcher]:
        """Dispatchers a job can use, attached or not; only with ``Capability.DISPATCHERS``."""
        raise NotImplementedError

    def set_dispatcher(self, job_id: str, name: str, options: dict[str, Any] | None,
                       attach: bool) -> list[Dispatcher]:
        """Attach (with options), reconfigure, or detach (``attach=False``) a dispatcher."""
        raise NotImplementedError

    def copy_job(self, job_id: str, name: str) -> JobInfo:
        """A new, unstarted job with the same service, region, options and schedule."""
        raise NotImplementedError

    def stac_results(self, job_id: str) -> dict[str, Any] | None:
        """The back-end's own STAC document of a job's results, or None if it keeps none.

        An Item, an ItemCollection or a Collection, as the platform returned it;
        ``eojobs results --stac`` prints it instead of one eojobs builds. Asset
        hrefs in it that equal an :class:`Asset`'s ``href`` are pointed at the
        downloaded files.
        """
        return None

    def job_region(self, job_id: str) -> dict[str, Any]:
        """The GeoJSON geometry (or feature collection) of the region a job was created with."""
        from eojobs.errors import Unsupported

        raise Unsupported(f"the {self.name} backend cannot give back a job's region")

    def set_delete_expiry(self, job_id: str, when: datetime,
                          execution_id: str | None = None) -> None:
        """Keep a job's outputs (or one execution's) until ``when``."""
        raise NotImplementedError
