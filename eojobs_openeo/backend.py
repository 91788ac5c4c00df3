"""The openEO backend: maps the eojobs SPI onto an openEO API 1.x back-end.

Services are the account's user-defined processes (``/process_graphs``);
a job is a batch job whose process graph is one call of such a process,
with the region as its GeoJSON (or bounding-box) parameter.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any, ClassVar
from urllib.parse import quote, urljoin, urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from eojobs.backend import Backend, BackendSettings, ByteStream, JobRequest, tell_user
from eojobs.config import ConfigWarning
from eojobs.errors import (
    AuthenticationError,
    BackendError,
    EOJobsError,
    NotFound,
    NotReady,
    Unsupported,
)
from eojobs.http import checked_http_url, json_or_error
from eojobs.http_settings import HttpSettings
from eojobs.models import Asset, Capability, JobInfo, LogEntry, Service
from eojobs.shapes import reads_answers
from eojobs_openeo import mapping, processes
from eojobs_openeo.auth import BasicAuth
from eojobs_openeo.client import OpenEOClient, error_message
from eojobs_openeo.oidc import OidcAuth

Json = dict[str, Any]
#: The status of an estimate a back-end does not offer.
NOT_IMPLEMENTED = 501


log = logging.getLogger("eojobs.openeo")
_answers = reads_answers("the openEO back-end")


@pydantic_dataclass(kw_only=True, config={"extra": "forbid"})
class OpenEOSettings(HttpSettings):
    """Settings of the openEO backend (``EOJOBS_OPENEO_<NAME>``)."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else checked_http_url(
            value, "https://openeo.example.org/openeo/1.2")

    url: str | None = Field(default=None, description="URL of the openEO back-end's API.")
    username: str | None = Field(default=None, description="Basic-auth user name.")
    password: SecretStr | None = Field(default=None, description="Basic-auth password.")
    provider_id: str | None = Field(
        default=None, description="OpenID Connect provider to log in with (default: the "
        "back-end's first).")
    client_id: str | None = Field(
        default=None, description="OpenID Connect client id (default: one the back-end lists "
        "for public use).")
    client_secret: SecretStr | None = Field(
        default=None, description="OpenID Connect client secret: log in by client credentials.")
    processes: tuple[str, ...] = Field(
        default=(), description="Public process definitions offered as services: URLs or "
        "files, separated by spaces (a list in config.toml).")

    @field_validator("processes", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> tuple[str, ...]:
        return processes.sources(value)


class OpenEOBackend(Backend[OpenEOSettings]):
    """An openEO API 1.x back-end: user-defined processes as services, batch jobs as jobs."""

    name: ClassVar[str] = "openeo"
    title: ClassVar[str] = "openEO API 1.x back-ends"
    #: PRICE only where the back-end offers an estimate: see facts().
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.PRICE, Capability.RESUMABLE_DOWNLOADS,
    })
    settings_model: ClassVar[type[BackendSettings]] = OpenEOSettings
    poll_interval: ClassVar[tuple[float, float]] = (0.2, 30.0)
    login_settings: ClassVar[tuple[str, ...]] = ("password",)

    @classmethod
    def login_prompts(cls, settings: BackendSettings) -> tuple[str, ...]:
        """The password, when a user name is set without one; OpenID Connect asks nothing."""
        assert isinstance(settings, OpenEOSettings)
        return ("password",) if settings.username and settings.password is None \
            and settings.client_secret is None else ()

    def __init__(self, settings: OpenEOSettings) -> None:
        super().__init__(settings)
        if not settings.url:
            from eojobs.errors import ConfigError

            raise ConfigError("openeo needs the URL of a back-end: set EOJOBS_OPENEO_URL or "
                              "give url=... to eojobs.connect")
        self.client = OpenEOClient(settings.url, settings.policy())
        self.auth = _auth(self.client, settings)
        self.client.token_source = self.auth.token
        self.client.on_unauthorised = self.auth.renew
        #: The process each job read in full calls: job listings do not carry the process.
        self._called: dict[str, str] = {}
        self._public: dict[str, processes.PublicProcess] | None = None
        self._callbacks: dict[tuple[str, str], frozenset[str]] | None = None
        #: Public processes already said to be hidden by a saved one of the same id.
        self._warned: set[str] = set()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    @_answers
    def login(self, say: Callable[[str], None] = tell_user) -> str:
        """Log in now, caching the token; returns who (a user, a client or a provider).

        With a user name it is basic authentication; with a client secret,
        OpenID Connect client credentials; otherwise the OpenID Connect device
        login, for which ``say`` shows the URL to open and approve.
        """
        if isinstance(self.auth, BasicAuth):
            self.auth.login()
            return self.settings.username or ""
        return self.auth.login(say)

    # Services

    @_answers
    def list_services(self, search: str | None = None) -> list[Service]:
        """The account's user-defined processes, then the public ones listed in the settings.

        A public process with the id of a saved one is left out, with a warning:
        the saved one is what a job of that id runs.
        """
        saved = [mapping.service(p) for p in self.client.pages("/process_graphs", "processes")]
        ids = {s.id for s in saved}
        public = []
        for process in self._public_processes().values():
            if process.id in ids:
                if process.id in self._warned:
                    continue
                self._warned.add(process.id)
                warnings.warn(ConfigWarning(
                    f"public process {process.id!r} ({process.source}) has the id of a process "
                    "saved on the back-end; the saved one is used"), stacklevel=2)
            else:
                public.append(mapping.service(process.definition))
        return saved + public

    @_answers
    def get_service(self, service_id: str) -> Service:
        """One user-defined or listed public process, with its parameters as options."""
        return mapping.service(self._process(service_id)[0])

    def _process(self, process_id: str) -> tuple[Json, processes.PublicProcess | None]:
        """A process's definition; the public process it is, if it is not a saved one."""
        try:
            found = self.client.json("GET", f"/process_graphs/{_path(process_id)}")
            return _object(found, f"GET /process_graphs/{process_id}"), None
        except NotFound:
            public = self._public_processes().get(process_id)
            if public is None:
                raise
            return public.definition, public

    def _callback_parameters(self, process_id: str, argument: str) -> frozenset[str] | None:
        """The parameters the back-end's process gives a callback argument, from its specs."""
        if self._callbacks is None:
            self._callbacks = processes.callback_parameters(
                self.client.pages("/processes", "processes"))
        return self._callbacks.get((process_id, argument))

    def _public_processes(self) -> dict[str, processes.PublicProcess]:
        if self._public is None:
            self._public = processes.load(self.settings.processes, self.client.session,
                                          self.client.policy)
        return self._public

    @_answers
    def facts(self) -> frozenset[Capability]:
        """Jobs are priced only on a back-end whose capabilities list the estimate."""
        found = super().facts()
        if not self.client.offers("GET", "/jobs/{job_id}/estimate"):
            found -= {Capability.PRICE}
        return found

    # openEO's own, beyond the neutral SPI: `eojobs openeo processes` and `graph`

    @_answers
    def predefined_processes(self) -> list[Json]:
        """The back-end's predefined processes (``GET /processes``), as it describes them."""
        return [p for p in self.client.pages("/processes", "processes")
                if isinstance(p, dict) and isinstance(p.get("id"), str)]

    @_answers
    def process_graph(self, job_id: str) -> Json:
        """The process a batch job runs (``{"process_graph": {...}}``), as the back-end keeps it."""
        process = self._job(job_id).get("process")
        if not isinstance(process, dict) or not isinstance(process.get("process_graph"), dict):
            raise BackendError(f"the back-end gave no process graph for job {job_id}")
        return process

    # Jobs

    @_answers
    def submit(self, request: JobRequest) -> JobInfo:
        """Create a batch job calling the process, then ask for its estimate."""
        process, public = self._process(request.service.id)
        region = mapping.region_parameter(process)
        if region is None:
            raise Unsupported(f"{request.service.id} has no region parameter (one whose schema "
                              "has subtype geojson or bounding-box), so eojobs cannot run it on "
                              "a region")
        name, subtype = region
        arguments: Json = {name: mapping.region_value(subtype, request.region.to_geojson(),
                                                      request.region.bounds),
                           **{k: mapping.encode_option(v) for k, v in request.options.items()}}
        call = processes.call(public, arguments, self._callback_parameters) if public else \
            mapping.process_graph(request.service.id, arguments)
        body = {"process": call, "title": request.name}
        response = self.client.request("POST", "/jobs", body=body)
        job_id = response.headers.get("OpenEO-Identifier") or \
            urlsplit(response.headers.get("Location", "")).path.rstrip("/").rsplit("/", 1)[-1]
        if not job_id:
            raise BackendError("POST /jobs: the answer names no job (no OpenEO-Identifier)")
        job = self._job(job_id)
        # A graph sent inline names its process only in its ``id``, which back-ends may drop.
        self._called[job_id] = request.service.id
        return mapping.job_info(job, price=self._estimate(job_id), process_id=request.service.id)

    def _estimate(self, job_id: str) -> float | None:
        """The estimated costs, or None where the back-end offers no estimate.

        A back-end that does not list the estimate in its capabilities is not
        asked; one that lists it may still answer 501.
        """
        if not self.client.offers("GET", "/jobs/{job_id}/estimate"):
            return None
        what = f"GET /jobs/{job_id}/estimate"
        try:
            response = self.client.request("GET", f"/jobs/{_path(job_id)}/estimate",
                                           accept=frozenset({NOT_IMPLEMENTED}))
            if response.status_code == NOT_IMPLEMENTED:
                return None
            return mapping.estimate(json_or_error(response, error_message, what))
        except AuthenticationError:
            raise
        except EOJobsError as exc:  # the job exists by now: keep it, unpriced, and say why
            log.warning("job %s has no price: %s", job_id, exc)
            return None

    def _job(self, job_id: str) -> Json:
        job = _object(self.client.json("GET", f"/jobs/{_path(job_id)}"), f"GET /jobs/{job_id}")
        called = mapping.called_process(job)
        if called or job_id not in self._called:
            self._called[job_id] = called
        return job

    def _listed_info(self, listed: Json, read_unknown: bool) -> JobInfo:
        """A listed job, with the process it calls, which ``GET /jobs`` leaves out.

        The process is taken from an earlier full read of the job; a job not read
        before is read in full when ``read_unknown``, else it stays without one.
        """
        job_id = str(listed.get("id"))
        if "process" not in listed and job_id not in self._called and read_unknown:
            try:
                return self._info(self._job(job_id))
            except NotFound:  # deleted since it was listed
                pass
        known = None if "process" in listed else self._called.get(job_id)
        return self._info(listed, known)

    @_answers
    def start(self, job_id: str) -> JobInfo:
        """Queue the job for processing."""
        self.client.request("POST", f"/jobs/{_path(job_id)}/results")
        return self.get_job(job_id)

    @_answers
    def stop(self, job_id: str) -> JobInfo:
        """Cancel the job's processing."""
        self.client.request("DELETE", f"/jobs/{_path(job_id)}/results")
        return self.get_job(job_id)

    @_answers
    def delete(self, job_id: str) -> None:
        """Delete the job and its results."""
        self.client.request("DELETE", f"/jobs/{_path(job_id)}")

    @_answers
    def get_job(self, job_id: str) -> JobInfo:
        """The job's metadata; a failed job's error comes from its error logs."""
        return self._info(self._job(job_id))

    def _info(self, job: Json, process_id: str | None = None) -> JobInfo:
        error = None
        if job.get("status") == "error" and self.client.offers("GET", "/jobs/{job_id}/logs"):
            try:
                errors = self._log_documents(str(job["id"]), "error")
            except AuthenticationError:
                raise
            except EOJobsError as exc:  # the job's state stands without its error's words
                log.warning("cannot read the error logs of job %s: %s", job["id"], exc)
                errors = []
            error = str(errors[-1].get("message") or "") if errors else None
        if not process_id:
            process_id = mapping.called_process(job) or self._called.get(str(job.get("id")))
        return mapping.job_info(job, error=error, process_id=process_id)

    @_answers
    def list_jobs(self) -> list[JobInfo]:
        """Every batch job of the account, newest first, each with the process it calls.

        The listing does not name the processes, so a job listed for the first
        time is read in full once (the backend remembers what it read).
        """
        jobs = list(self.client.pages("/jobs", "jobs"))
        infos = [self._listed_info(job, read_unknown=True) for job in jobs]
        oldest = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(infos, key=lambda i: i.created_at or oldest, reverse=True)

    @_answers
    def get_jobs(self, job_ids: Iterable[str]) -> list[JobInfo]:
        """Many jobs from one listing (plus the error logs of failed ones)."""
        wanted = list(job_ids)
        found = {str(job.get("id")): job for job in self.client.pages("/jobs", "jobs")}
        missing = [j for j in wanted if j not in found]
        if missing:
            raise NotFound(f"no openEO job {missing[0]}")
        return [self._listed_info(found[j], read_unknown=False) for j in wanted]

    # Results and logs

    @_answers
    def list_assets(self, job_id: str) -> list[Asset]:
        """The STAC assets of the job's results, with hrefs made absolute; none before it
        finished (the back-end answers JobNotFinished then)."""
        try:
            results = self._results(job_id)
        except NotReady:
            return []
        return mapping.assets(job_id, results)

    @_answers
    def stac_results(self, job_id: str) -> Json:
        """The job's results document (a STAC Item or Collection), hrefs made absolute."""
        return self._results(job_id)

    def _results(self, job_id: str) -> Json:
        results = _object(self.client.json("GET", f"/jobs/{_path(job_id)}/results"),
                          f"GET /jobs/{job_id}/results")
        base = self.client.root + f"/jobs/{_path(job_id)}/results"
        assets = results.get("assets")
        for asset in assets.values() if isinstance(assets, dict) else ():
            if isinstance(asset, dict) and isinstance(asset.get("href"), str):
                asset["href"] = urljoin(base, asset["href"])
        return results

    def open_asset(self, asset: Asset, offset: int = 0) -> ByteStream:
        """Stream the asset's href; the token is sent only to the back-end's own origin."""
        return self.client.open_url(asset.href, offset)

    @_answers
    def logs(self, job_id: str) -> list[LogEntry]:
        """Every log line of the job (``level=debug``); lines without a time get the job's."""
        job = self._job(job_id)
        when = mapping.parse_time(job.get("updated")) or mapping.parse_time(job.get("created")) \
            or datetime.now(timezone.utc)
        return [mapping.log_entry(e, job_id, when) for e in self._log_documents(job_id, "debug")]

    def _log_documents(self, job_id: str, level: str) -> list[Json]:
        return list(self.client.pages(f"/jobs/{_path(job_id)}/logs", "logs",
                                      params={"level": level}))


def _auth(client: OpenEOClient, settings: OpenEOSettings) -> BasicAuth | OidcAuth:
    """Client credentials if a secret is set, basic if a user name is, else OpenID Connect."""
    secret = settings.client_secret.get_secret_value() if settings.client_secret else None
    if settings.username and not secret:
        password = settings.password.get_secret_value() if settings.password else None
        return BasicAuth(client, settings.username, password)
    return OidcAuth(client, settings.provider_id, settings.client_id, secret)


def _object(body: Any, what: str) -> Json:
    """``body`` if it is a JSON object; a BackendError saying so otherwise."""
    if not isinstance(body, dict):
        raise BackendError(f"{what}: the answer is not a JSON object")
    return body


def _path(value: str) -> str:
    """An id made safe for one URL path segment."""
    return quote(value, safe="")
