"""Connection: what a user holds; one backend behind the provider-neutral API."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from eojobs.backend import Backend, JobHints, JobRequest, SearchRequest
from eojobs.config import check_profile, default_backend, resolve_settings
from eojobs.errors import (
    AmbiguousName,
    ConfigError,
    Fix,
    InputError,
    Message,
    NotFound,
    NotStarted,
    Unsupported,
    message_of,
)
from eojobs.inputs import check_inputs
from eojobs.job import Job
from eojobs.joblist import check_prefix, job_filter, prefix_match
from eojobs.models import Capability, JobStatus, Schedule, Service
from eojobs.options import coerce_options
from eojobs.plugins import backend_classes
from eojobs.scenes import Scene
from eojobs.suggest import close_matches, did_you_mean
from eojobs.waiting import WaitPolicy, intervals_for, wait_for_jobs

DEFAULT_BACKEND = "mock"
log = logging.getLogger(__name__)


def connect(backend: str | None = None, **settings: Any) -> Connection:
    """Open a connection to a backend (default ``EOJOBS_BACKEND``, then ``backend`` in
    ``config.toml``, else ``mock``).

    Settings come from these keyword arguments, then ``EOJOBS_<BACKEND>_<SETTING>``
    environment variables, then the ``[backend]`` table of ``config.toml`` in
    the user directory. ``NAME:VARIANT`` (such as ``stac:earth-search``) sets the
    backend's ``variant_setting`` to ``VARIANT``, unless ``settings`` give it.
    """
    name = backend or default_backend(DEFAULT_BACKEND)
    check_profile(backend_classes())
    name, suffixed, variant = name.partition(":")
    variant = variant.strip()
    found = backend_class(name)
    name = found.name
    if suffixed:
        if found.variant_setting is None:
            raise ConfigError(Message(f"the {name} backend takes no ':NAME' after its name; "
                                      "name it alone: ", Fix("backend", name)))
        if not variant:
            raise ConfigError(f"a name is needed after '{name}:', such as {name}:NAME")
        settings.setdefault(found.variant_setting, variant)
    resolved = resolve_settings(name, found.settings_model, settings)
    return Connection(found(resolved), label=f"{name}:{variant}" if variant else None)


def backend_class(name: str) -> type[Backend]:
    """The installed, usable backend class called ``name``; ConfigError lists the others."""
    classes = backend_classes()
    found = classes.get(name) if name in classes else classes.get(name.strip().lower())
    if found is None:
        known = list(classes)
        raise ConfigError(f"no backend named {name!r}{did_you_mean(name, known)}; installed "
                          f"backends: {', '.join(known) or 'none'}")
    if not found.implemented:
        raise Unsupported(f"the {name} backend is not yet implemented")
    return found


class Connection:
    """A session with one backend: browse services, create and find jobs."""

    def __init__(self, backend: Backend[Any], label: str | None = None) -> None:
        self.backend = backend
        #: How the backend was named when connecting, such as ``stac:earth-search``.
        self.label = label or backend.name
        self._capabilities: frozenset[Capability] | None = None

    def __repr__(self) -> str:
        return f"<Connection {self.backend.name}>"

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the backend's resources."""
        self.backend.close()

    @property
    def name(self) -> str:
        """The backend's name, with its variant if it was connected by one (``stac:NAME``)."""
        return self.label

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this back-end can do (:meth:`Backend.available`), asked once."""
        if self._capabilities is None:
            self._capabilities = self.backend.available()
        return self._capabilities

    def require(self, capability: Capability, what: str) -> None:
        """Raise Unsupported unless the backend has ``capability``."""
        if capability not in self.capabilities:
            raise self.backend.unsupported(what)

    def credits(self) -> float:
        """The account's credits."""
        self.require(Capability.CREDITS, "credits")
        return self.backend.credits()

    def services(self, search: str | None = None) -> list[Service]:
        """Services on offer, optionally those matching ``search`` in name, summary or keywords."""
        services = self.backend.list_services(search)
        if search:
            needle = search.lower()
            services = [s for s in services if _matches(s, needle)]
        return services

    def service(self, ref: str | Service) -> Service:
        """One service by id, name, or a unique whole-word start of its name or keyword.

        An exact id (or one of the backend's other ids, ``Service.aliases``) or
        name wins. Otherwise the name may be given in any letter case, or
        shortened to whole words ("vegetation" for "Vegetation Index"), and a
        keyword may stand for the service, each only when one service fits.
        Part of a word ("veg") is never enough, since running a service may
        cost credits: the error suggests the names it might have meant.
        """
        if isinstance(ref, Service):
            return ref
        if not isinstance(ref, str):
            raise InputError(f"a service is named by its name or id (a string), not {ref!r}")
        ref = ref.strip()
        if not ref:
            raise InputError("a service name or id is needed")
        services = self.backend.list_services()
        found = _find_service(ref, services)
        if found is not None:
            return self.backend.get_service(found.id)
        lowered = ref.lower()
        starts = [s.name for s in services if s.name.lower().startswith(lowered)]
        close = list(dict.fromkeys([*starts, *close_matches(ref, [s.name for s in services],
                                                            n=3)]))
        hint = f" (did you mean {' or '.join(repr(n) for n in close[:3])}?)" if close else ""
        known = ", ".join(s.name for s in services)
        raise NotFound(f"no service {ref!r} on {self.backend.name}{hint}; services: {known}")

    def create_job(
        self,
        service: str | Service,
        region: Any,
        options: Mapping[str, Any] | None = None,
        inputs: Mapping[int | str, str | os.PathLike[str]] | None = None,
        name: str | None = None,
        schedule: Schedule | Mapping[str, Any] | None = None,
    ) -> Job:
        """Validate everything, then create a priced job (not yet started).

        ``region`` is anything :meth:`Region.parse` takes. Options are coerced
        to the service's declared types before anything reaches the backend.
        """
        [job] = self.create_jobs(service, [region], options, inputs, name, schedule)
        return job

    def create_jobs(
        self,
        service: str | Service,
        regions: Iterable[Any],
        options: Mapping[str, Any] | None = None,
        inputs: Mapping[int | str, str | os.PathLike[str]] | None = None,
        name: str | None = None,
        schedule: Schedule | Mapping[str, Any] | None = None,
    ) -> list[Job]:
        """One job per region (e.g. from :meth:`Region.parse_each`), all checked first.

        Every region is checked against the backend's limits, and the options,
        inputs and schedule once, before the first job is created; with more
        than one region each job is named after its region's source.

        If creating one fails, the jobs already created for the others are
        deleted, so none is left behind unnoticed; the error, of the failure's
        own type, says so or names the ones that could not be deleted.
        """
        from eojobs.geo.limits import check_limits
        from eojobs.region import Region

        svc = self.service(service)
        parsed = [Region.parse(region) for region in regions]
        limits = self.backend.region_limits(svc)
        for region in parsed:
            check_limits(region, limits, self.backend.name)
        coerced = coerce_options(svc, options)
        files = check_inputs(svc, inputs or {})
        plan = self._schedule(schedule)
        base = name or svc.name
        requests = [
            JobRequest(service=svc, region=region, options=coerced, inputs=files,
                       name=f"{base} ({region.source})" if len(parsed) > 1 else base,
                       schedule=plan)
            for region in parsed
        ]
        return self._submit_all(requests)

    def _submit_all(self, requests: list[JobRequest]) -> list[Job]:
        """Submit each request; on any failure, delete the jobs made so far, or name them.

        Whatever stops the loop (an eojobs error, another exception, Ctrl-C),
        it is raised again; an eojobs error says what became of the jobs.
        """
        created: list[Job] = []
        for request in requests:
            try:
                created.append(Job(self, self.backend.submit(request)))
            except BaseException as exc:
                if not created:
                    raise
                left = _delete_quietly(created)
                if left:
                    fate = (f"; {len(left)} job(s) created before it could not be deleted and "
                            f"are left on {self.name}: {', '.join(j.id for j in left)}")
                else:
                    fate = f"; the {len(created)} job(s) created before it were deleted"
                if isinstance(exc, Exception) and len(exc.args) <= 1:
                    exc.args = (Message(message_of(exc), fate),)
                elif left:
                    log.warning("jobs left on %s after an interruption: %s", self.name,
                                ", ".join(j.id for j in left))
                raise
        return created

    def search(self, service: str | Service, region: Any,
               options: Mapping[str, Any] | None = None) -> list[Scene]:
        """The scenes a job of ``service`` on ``region`` with ``options`` would fetch.

        Nothing is created or downloaded. The region and options are checked
        as for :meth:`create_job`; a backend that cannot search is refused first.
        """
        from eojobs.geo.limits import check_limits
        from eojobs.region import Region

        self.require(Capability.SEARCH, "searching for scenes")
        svc = self.service(service)
        parsed = Region.parse(region)
        check_limits(parsed, self.backend.region_limits(svc), self.backend.name)
        request = SearchRequest(service=svc, region=parsed, options=coerce_options(svc, options))
        return self.backend.search(request)

    def jobs(
        self,
        *,
        status: JobStatus | str | Iterable[JobStatus | str] | None = None,
        service: str | Service | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Job]:
        """Jobs of the account, newest first, optionally filtered.

        ``status``: one status (a JobStatus or its value) or several;
        ``service``: a service name or id, matched case-insensitively;
        ``since``: a timezone-aware time, keeping jobs created at or after it;
        ``limit``: the newest this many jobs that pass the other filters.
        Bad filters raise InputError before the backend is asked anything.
        """
        chosen = job_filter(status=status, service=service, since=since, limit=limit)
        listed = self.backend.recent_jobs(chosen.hints())
        return [Job(self, info) for info in chosen.select(listed)]

    def job(self, job_id: str) -> Job:
        """One job by id, or by an unambiguous prefix of at least 4 characters of its id.

        A prefix is looked up in one listing of the account's jobs, then the
        one match is read in full. Raises InputError for a prefix that is too
        short, AmbiguousName (naming some matches) for one that matches
        several jobs, and NotFound for one that matches none.
        """
        job_id = job_id.strip()
        if not job_id:
            raise InputError("a job id is needed")
        try:
            return Job(self, self.backend.get_job(job_id))
        except NotFound as exc:
            missing = exc
        check_prefix(job_id)
        found = prefix_match(job_id, self.backend.recent_jobs(JobHints()))
        if found is None:
            raise missing
        return Job(self, self.backend.get_job(found.id))

    def wait_all(
        self,
        jobs: Iterable[Job | str],
        timeout: float | None = None,
        poll_interval: float | None = None,
        progress: bool = True,
        policy: WaitPolicy | None = None,
    ) -> list[Job]:
        """Wait until every job has finished, with one batch status call per interval.

        Returns the jobs with their final state; unlike :meth:`Job.wait` it
        does not raise when some fail, so look at each ``status``. Raises
        WaitTimeout when ``timeout`` seconds pass first (the jobs keep running).
        """
        found = [j if isinstance(j, Job) else self.job(j) for j in jobs]
        idle = [j.id for j in found if j.status is JobStatus.CREATED]
        if idle:
            what = f"job {idle[0]} has" if len(idle) == 1 else f"{len(idle)} jobs have"
            raise NotStarted(f"{what} not been started", job_ids=idle)
        states = wait_for_jobs(self.backend.get_jobs, [j.id for j in found], timeout=timeout,
                               intervals=intervals_for(poll_interval, self.backend.poll_interval),
                               progress=progress,
                               label=f"{len(found)} jobs", policy=policy)
        for job in found:
            job.info = states[job.id]
        return found

    def _schedule(self, schedule: Schedule | Mapping[str, Any] | None) -> Schedule | None:
        if schedule is None:
            return None
        self.require(Capability.SCHEDULES, "scheduled jobs")
        if isinstance(schedule, Schedule):
            return schedule
        from pydantic import ValidationError

        try:
            return Schedule.model_validate(dict(schedule))
        except ValidationError as exc:
            msg = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
            raise InputError(f"bad schedule: {msg}") from None


def _delete_quietly(jobs: list[Job]) -> list[Job]:
    """Delete each job; the ones that could not be deleted, whatever the reason."""
    left = []
    for job in jobs:
        try:
            job.delete()
        except Exception:  # noqa: BLE001 - the first failure is the one to raise
            left.append(job)
    return left


def _find_service(ref: str, services: list[Service]) -> Service | None:
    """The one service ``ref`` names (see :meth:`Connection.service`), or None."""
    for service in services:
        if ref in (service.id, service.name, *service.aliases):
            return service
    lowered = ref.lower()
    exact = [s for s in services if s.name.lower() == lowered]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [s for s in services if _starts_with_words(s.name.lower(), lowered)
                        or lowered in (k.lower() for k in s.keywords)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(s.name for s in matches)
        raise AmbiguousName(f"{ref!r} matches several services: {names}; give more of the name")
    return None


def _starts_with_words(name: str, start: str) -> bool:
    """True when ``start`` is the beginning of ``name`` and ends where a word of it ends."""
    return name.startswith(start) and (len(name) == len(start) or not name[len(start)].isalnum())


def _matches(service: Service, needle: str) -> bool:
    haystack = [service.name, service.summary, *service.keywords]
    return any(needle in text.lower() for text in haystack)
