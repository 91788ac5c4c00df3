"""Connection: what a user holds; one backend behind the provider-neutral API."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from eojobs.backend import Backend, JobRequest
from eojobs.config import resolve_settings
from eojobs.errors import (
    AmbiguousName,
    ConfigError,
    EOJobsError,
    InputError,
    NotFound,
    Unsupported,
)
from eojobs.job import Job
from eojobs.models import Capability, JobStatus, Organisation, Schedule, Service
from eojobs.options import coerce_options
from eojobs.plugins import backend_classes
from eojobs.waiting import WaitPolicy, intervals_for, wait_for_jobs

DEFAULT_BACKEND = "mock"


def connect(backend: str | None = None, **settings: Any) -> Connection:
    """Open a connection to a backend (default ``EOJOBS_BACKEND``, else ``mock``).

    Settings come from these keyword arguments, then ``EOJOBS_<BACKEND>_<SETTING>``
    environment variables, then the ``[backend]`` table of ``config.toml`` in
    the user directory.
    """
    name = backend or os.environ.get("EOJOBS_BACKEND") or DEFAULT_BACKEND
    found = backend_class(name)
    resolved = resolve_settings(name, found.settings_model, settings)
    return Connection(found(resolved))


def backend_class(name: str) -> type[Backend]:
    """The installed, usable backend class called ``name``; ConfigError lists the others."""
    classes = backend_classes()
    found = classes.get(name)
    if found is None:
        known = ", ".join(classes) or "none"
        raise ConfigError(f"no backend named {name!r}; installed backends: {known}")
    if not found.implemented:
        raise Unsupported(f"the {name} backend is not yet implemented")
    return found


class Connection:
    """A session with one backend: browse services, create and find jobs."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

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
        """The backend's name."""
        return self.backend.name

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this backend can do."""
        return self.backend.capabilities

    def require(self, capability: Capability, what: str) -> None:
        """Raise Unsupported unless the backend has ``capability``."""
        if capability not in self.backend.capabilities:
            raise Unsupported(f"the {self.backend.name} backend does not support {what}")

    def credits(self) -> float:
        """The account's credits."""
        self.require(Capability.CREDITS, "credits")
        return self.backend.credits()

    def organisations(self) -> list[Organisation]:
        """The organisations the account belongs to."""
        self.require(Capability.ORGANISATIONS, "organisations")
        return self.backend.organisations()

    def services(self, search: str | None = None) -> list[Service]:
        """Services on offer, optionally those matching ``search`` in name, summary or keywords."""
        services = self.backend.list_services(search)
        if search:
            needle = search.lower()
            services = [s for s in services if _matches(s, needle)]
        return services

    def service(self, ref: str | Service) -> Service:
        """One service by id, exact name, an unambiguous name prefix, or a unique keyword.

        Names, prefixes and keywords match case-insensitively; ids also match
        the backend's other ids for a service (``Service.aliases``).
        """
        if isinstance(ref, Service):
            return ref
        ref = ref.strip()
        if not ref:
            raise InputError("a service name or id is needed")
        services = self.backend.list_services()
        for service in services:
            if ref in (service.id, service.name, *service.aliases):
                return self.backend.get_service(service.id)
        lowered = ref.lower()
        exact = [s for s in services if s.name.lower() == lowered]
        if len(exact) == 1:
            return self.backend.get_service(exact[0].id)
        matches = [s for s in services if s.name.lower().startswith(lowered)]
        if not matches:
            matches = [s for s in services if lowered in (k.lower() for k in s.keywords)]
        if len(matches) == 1:
            return self.backend.get_service(matches[0].id)
        if matches:
            names = ", ".join(s.name for s in matches)
            raise AmbiguousName(f"{ref!r} matches several services: {names}; give more of the name")
        known = ", ".join(s.name for s in services)
        raise NotFound(f"no service {ref!r} on {self.backend.name}; services: {known}")

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
        """
        from eojobs.geo.limits import check_limits
        from eojobs.region import Region

        svc = self.service(service)
        parsed = [Region.parse(region) for region in regions]
        limits = self.backend.region_limits(svc)
        for region in parsed:
            check_limits(region, limits, self.backend.name)
        coerced = coerce_options(svc, options)
        files = self._check_inputs(svc, inputs or {})
        plan = self._schedule(schedule)
        base = name or svc.name
        requests = [
            JobRequest(service=svc, region=region, options=coerced, inputs=files,
                       name=f"{base} ({region.source})" if len(parsed) > 1 else base,
                       schedule=plan)
            for region in parsed
        ]
        return [Job(self, self.backend.submit(request)) for request in requests]

    def jobs(self) -> list[Job]:
        """All jobs of the account, newest first."""
        return [Job(self, info) for info in self.backend.list_jobs()]

    def job(self, job_id: str) -> Job:
        """One job by id (or an unambiguous prefix of its id)."""
        job_id = job_id.strip()
        try:
            return Job(self, self.backend.get_job(job_id))
        except NotFound:
            if len(job_id) < 4:
                raise
            matches = [j for j in self.backend.list_jobs() if j.id.startswith(job_id)]
            if len(matches) == 1:
                return Job(self, matches[0])
            if matches:
                raise AmbiguousName(
                    f"{job_id!r} matches {len(matches)} jobs; give more of the id"
                ) from None
            raise

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
            raise EOJobsError(f"job {idle[0]} has not been started: start it first with "
                              f"`eojobs start {idle[0]}`")
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
            msg = "; ".join(e["msg"] for e in exc.errors())
            raise InputError(f"bad schedule: {msg}") from None

    @staticmethod
    def _check_inputs(
        service: Service, inputs: Mapping[int | str, str | os.PathLike[str]]
    ) -> dict[int, Path]:
        files: dict[int, Path] = {}
        for key, value in inputs.items():
            spec = next(
                (i for i in service.inputs if str(i.number) == str(key) or i.name == key), None
            )
            if spec is None:
                known = ", ".join(f"{i.number} ({i.name})" for i in service.inputs) or "none"
                raise InputError(f"{service.name} has no input {key!r}; its inputs are: {known}")
            path = Path(value).expanduser()
            if not path.is_file():
                raise InputError(f"input {spec.name}: no such file {path}")
            _check_file_type(spec.name, spec.file_type, path)
            files[spec.number] = path
        for spec in service.inputs:
            if spec.required and spec.number not in files:
                raise InputError(f"{service.name} needs input {spec.number} ({spec.name})")
        return files


#: File name endings each declared input type accepts (GeoTIFF inputs also take the
#: other raster types, and GeoJSON inputs the other vector types, as on Fusion).
FILE_TYPE_ENDINGS = {
    "GeoTIFF": (".tif", ".tiff", ".dem", ".jp2"),
    "GeoJSON": (".geojson", ".json", ".kml", ".kmz", ".zip"),
    "CSV": (".csv",),
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg"),
    "PDF": (".pdf",),
}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
#: How the content of a file of each ending starts.
_MAGIC = {".tif": _TIFF_MAGIC, ".tiff": _TIFF_MAGIC, ".png": (b"\x89PNG\r\n\x1a\n",),
          ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".pdf": (b"%PDF-",)}


def _check_file_type(name: str, file_type: str, path: Path) -> None:
    """Refuse a file whose ending or content does not fit the input's declared type."""
    endings = FILE_TYPE_ENDINGS.get(file_type)
    if endings is None:
        return
    if not path.name.lower().endswith(endings):
        raise InputError(f"input {name} takes a {file_type} file ({', '.join(endings)}), "
                         f"not {path.name}")
    with open(path, "rb") as handle:
        head = handle.read(8192)
    if not head:
        raise InputError(f"input {name}: {path.name} is empty")
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff") and not head.startswith(_TIFF_MAGIC):
        raise InputError(f"input {name}: {path.name} is not a TIFF file, whatever its name")
    if suffix in _MAGIC and not head.startswith(_MAGIC[suffix]):
        raise InputError(f"input {name}: {path.name} is not a {file_type} file, "
                         "whatever its name")
    if file_type == "CSV" and b"\x00" in head:
        raise InputError(f"input {name}: {path.name} is not a CSV file: it is not text")


def _matches(service: Service, needle: str) -> bool:
    haystack = [service.name, service.summary, *service.keywords]
    return any(needle in text.lower() for text in haystack)
