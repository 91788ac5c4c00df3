"""The Fusion Platform's extras: organisations, dispatchers, copies and delete expiry.

They are not part of the neutral SPI, which every platform has. A backend
offers one by having its method (see :class:`FusionExtras`): the Fusion
backend has them all, and the mock, which simulates Fusion, has
``organisations`` and ``copy_job``. From Python::

    from eojobs_fusion import extras

    job = conn.job("3f2a9c1e")
    extras.add_dispatcher(job, "Email Dispatcher", {"emails": "me@example.com"})
    extras.keep_until(job, datetime(2027, 1, 31, tzinfo=timezone.utc))

The ``eojobs`` commands ``organisations``, ``dispatchers``, ``copy`` and
``keep`` are added by the fusion plugin (:mod:`eojobs_fusion.commands`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol

from eojobs.errors import InputError
from eojobs.model_base import Model
from eojobs.models import JobInfo, OptionSpec, Service

if TYPE_CHECKING:
    from eojobs.connection import Connection
    from eojobs.job import Job


@dataclass(frozen=True, kw_only=True)
class Dispatcher(Model):
    """A delivery step a job can run after it finishes (e-mail, a bucket, ...)."""

    name: str
    attached: bool = False
    summary: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    option_specs: list[OptionSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._coerce("option_specs", OptionSpec, many=True)


@dataclass(frozen=True, kw_only=True)
class Organisation(Model):
    """An organisation the account belongs to, with its credits."""

    id: str
    name: str
    credits: float | None = None


class FusionExtras(Protocol):
    """The methods a backend has for each extra; a backend may have some of them."""

    def organisations(self) -> list[Organisation]:
        """Organisations of the account."""
        ...

    def dispatchers(self, job_id: str) -> list[Dispatcher]:
        """Dispatchers a job can use, attached or not."""
        ...

    def set_dispatcher(self, job_id: str, name: str, options: dict[str, Any] | None,
                       attach: bool) -> list[Dispatcher]:
        """Attach (with options), reconfigure, or detach (``attach=False``) a dispatcher."""
        ...

    def copy_job(self, job_id: str, name: str) -> JobInfo:
        """A new, unstarted job with the same service, region, options and schedule."""
        ...

    def set_delete_expiry(self, job_id: str, when: datetime,
                          execution_id: str | None = None) -> None:
        """Keep a job's outputs (or one execution's) until ``when``."""
        ...


#: What each extra's method does, for the error of a backend that lacks it.
_WHAT = {"organisations": "organisations", "dispatchers": "dispatchers",
         "set_dispatcher": "dispatchers", "copy_job": "copying jobs",
         "set_delete_expiry": "changing when outputs are deleted"}


def method(connection: Connection, name: str) -> Any:
    """The backend's method ``name`` of :class:`FusionExtras`; Unsupported if it has none."""
    found = getattr(connection.backend, name, None)
    if not callable(found):
        raise connection.backend.unsupported(_WHAT[name])
    return found


def organisations(connection: Connection) -> list[Organisation]:
    """The organisations the account belongs to."""
    return list(method(connection, "organisations")())


def copy(job: Job, name: str | None = None) -> Job:
    """A new, unstarted job with ``job``'s service, region, options and schedule."""
    from eojobs.job import Job

    info = method(job.connection, "copy_job")(job.id, name or f"{job.name} (copy)")
    return Job(job.connection, info)


def dispatchers(job: Job) -> list[Dispatcher]:
    """The dispatchers ``job`` can use; ``attached`` says which it will run."""
    return list(method(job.connection, "dispatchers")(job.id))


def add_dispatcher(job: Job, name: str, options: dict[str, Any] | None = None) -> Dispatcher:
    """Attach a dispatcher by name, with option values."""
    return _set_dispatcher(job, _dispatcher(job, name), options, attach=True)


def configure_dispatcher(job: Job, name: str, options: dict[str, Any]) -> Dispatcher:
    """Change the option values of an attached dispatcher."""
    found = _dispatcher(job, name)
    if not found.attached:
        raise InputError(f"dispatcher {found.name!r} is not attached to job {job.id}; "
                         "add it first")
    return _set_dispatcher(job, found, options, attach=True)


def remove_dispatcher(job: Job, name: str) -> None:
    """Detach a dispatcher."""
    found = _dispatcher(job, name)
    if not found.attached:
        raise InputError(f"dispatcher {found.name!r} is not attached to job {job.id}")
    _set_dispatcher(job, found, None, attach=False)


def keep_until(job: Job, when: datetime, execution: str | None = None) -> None:
    """Keep the job's outputs (or one execution's) until ``when`` (naive means UTC)."""
    set_expiry = method(job.connection, "set_delete_expiry")
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if execution is not None and execution not in {e.id for e in job.refresh().executions}:
        raise InputError(f"job {job.id} has no execution {execution}")
    set_expiry(job.id, when, execution)


def _dispatcher(job: Job, name: str) -> Dispatcher:
    available = dispatchers(job)
    for dispatcher in available:
        if dispatcher.name.lower() == name.strip().lower():
            return dispatcher
    names = ", ".join(d.name for d in available) or "none"
    raise InputError(f"no dispatcher {name!r}; available: {names}")


def _set_dispatcher(job: Job, found: Dispatcher, options: dict[str, Any] | None,
                    attach: bool) -> Dispatcher:
    from eojobs.options import coerce_options

    coerced = None
    if options is not None:
        service = Service(id="dispatcher", name=found.name, options=found.option_specs)
        given = {**found.options, **options} if found.attached else options
        coerced = coerce_options(service, given)
    after = method(job.connection, "set_dispatcher")(job.id, found.name, coerced, attach)
    now = next((d for d in after if d.name == found.name), None)
    return now if now is not None else Dispatcher(name=found.name, attached=False,
                                                  summary=found.summary,
                                                  option_specs=found.option_specs)
