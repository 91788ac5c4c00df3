"""The Fusion Platform backend: maps the eojobs SPI onto the wire client."""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from eojobs.backend import (
    Backend,
    BackendSettings,
    ByteStream,
    JobHints,
    JobRequest,
    tell_user,
)
from eojobs.errors import BackendError, InputError, NotFound, RegionError
from eojobs.http import checked_http_url
from eojobs.http_settings import HttpSettings
from eojobs.models import (
    Asset,
    Capability,
    JobInfo,
    LogEntry,
    RegionLimits,
    Service,
)
from eojobs.outcome import repeat_unless_done
from eojobs.shapes import reads_answers
from eojobs.waiting import poll_until
from eojobs_fusion import listing, mapping
from eojobs_fusion.auth import Authenticator
from eojobs_fusion.client import DEFAULT_API_URL, FusionClient
from eojobs_fusion.extras import Dispatcher, Organisation

Json = dict[str, Any]
REGION_PREFIX = "eojobs region "
#: Processes per page when many jobs' status is read at once.
BATCH_PAGE = 100


_answers = reads_answers("the Fusion Platform")


@pydantic_dataclass(kw_only=True, config={"extra": "forbid"})
class FusionSettings(HttpSettings):
    """Settings of the Fusion backend (``EOJOBS_FUSION_<NAME>``)."""

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return checked_http_url(value, DEFAULT_API_URL)

    api_url: str = Field(default=DEFAULT_API_URL, description="Base URL of the API.")
    email: str | None = Field(default=None, description="Login e-mail address.")
    user_id: str | None = Field(default=None, description="Login user id, instead of e-mail.")
    password: SecretStr | None = Field(default=None, description="Password; never stored.")
    organisation: str | None = Field(
        default=None, description="Organisation name or id (default: the user's first)."
    )
    analysis_timeout: float = Field(
        default=600.0, gt=0, description="Seconds to wait for an uploaded file's analysis."
    )
    max_region_vertices: int = Field(
        default=100_000, gt=3, description="The most vertices a region may have to be uploaded."
    )


class FusionBackend(Backend[FusionSettings]):
    """The Fusion Platform (thefusionplatform.com), over its REST API."""

    name: ClassVar[str] = "fusion"
    title: ClassVar[str] = "Fusion Platform (thefusionplatform.com)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.SCHEDULES, Capability.PRICE, Capability.RESUMABLE_DOWNLOADS,
    })
    settings_model: ClassVar[type[BackendSettings]] = FusionSettings
    poll_interval: ClassVar[tuple[float, float]] = (0.2, 30.0)
    #: Settings `eojobs login fusion` asks for, and which of them are secret.
    login_settings: ClassVar[tuple[str, ...]] = ("email", "password")

    def __init__(self, settings: FusionSettings) -> None:
        super().__init__(settings)
        self.client = FusionClient(settings.api_url, settings.policy())
        password = settings.password.get_secret_value() if settings.password else None
        self.auth = Authenticator(self.client, settings.email, settings.user_id, password)
        self.client.on_unauthorised = self.auth.renew
        self._org: str | None = None
        self._service_names: dict[str, str] = {}
        #: Uploaded regions by name, and the ids of the uploaded data read to find them.
        self._regions: dict[str, str] = {}
        self._data_read: set[str] = set()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    # Account

    def login(self, say: Callable[[str], None] = tell_user) -> str:
        """Log in now (caching the token) and return who we are; nothing to ``say``."""
        self.auth.login()
        return self.settings.email or self.auth.user_id or ""

    @property
    @_answers
    def org(self) -> str:
        """The organisation id every call works in."""
        if self._org is None:
            self._org = self._find_organisation()
        return self._org

    def _find_organisation(self) -> str:
        user = self.client.get_user(self.auth.ensure())
        ids = [str(o["id"]) for o in user.get("organisations") or []]
        if not ids:
            raise NotFound("this Fusion account belongs to no organisation")
        wanted = self.settings.organisation
        if not wanted:
            return ids[0]
        if wanted in ids:
            return wanted
        names = {}
        for org_id in ids:
            names[org_id] = str(self.client.get_organisation(org_id).get("name", ""))
            if names[org_id].lower().startswith(wanted.lower()):
                return org_id
        raise NotFound(
            f"no organisation {wanted!r} for this account; yours: {', '.join(names.values())}"
        )

    @_answers
    def organisations(self) -> list[Organisation]:
        """The user's organisations, each with its credits."""
        user = self.client.get_user(self.auth.ensure())
        out = []
        for entry in user.get("organisations") or []:
            org = self.client.get_organisation(str(entry["id"]))
            credit = self.client.get_credit(str(entry["id"]))
            out.append(mapping.checked(Organisation, id=str(org["id"]),
                                       name=str(org.get("name", "")),
                                       credits=float(credit.get("any_credits") or 0)))
        return out

    @_answers
    def credits(self) -> float:
        """Credits of the organisation in use."""
        return float(self.client.get_credit(self.org).get("any_credits") or 0)

    # Services

    @_answers
    def list_services(self, search: str | None = None) -> list[Service]:
        """The latest services (summaries; options come with :meth:`get_service`)."""
        services = [mapping.service(s) for s in self.client.services(self.org, search=search)]
        self._service_names.update({s.id: s.name for s in services})
        return services

    @_answers
    def get_service(self, service_id: str) -> Service:
        """One service with its options and inputs, read from its process template."""
        found = list(self.client.services(self.org, id__eq=service_id))
        if not found:
            raise NotFound(f"no Fusion service with id {service_id}")
        template, _ = self.client.new_process(self.org, service_id)
        return mapping.service(found[0], template)

    def region_limits(self, service: Service) -> RegionLimits:
        """The vertex limit of the settings; the platform states no area limit."""
        return RegionLimits(max_vertices=self.settings.max_region_vertices)

    # Jobs

    @_answers
    def submit(self, request: JobRequest) -> JobInfo:
        """Upload the region (once), build a process from the template, and create it."""
        template, _ = self.client.new_process(self.org, request.service.id)
        slots = template.get("inputs") or []
        if not slots:
            raise BackendError(f"{request.service.name} takes no region input")
        slots[0]["id"] = self._region_data(request)
        for number, path in request.inputs.items():
            slots[number - 1]["id"] = self._upload(path.name, path, slots[number - 1])
        for option in template.get("options") or []:
            if option.get("name") in request.options:
                option["value"] = mapping.encode_value(option, request.options[option["name"]])
        fields = {**template, "organisation_id": self.org, "name": request.name,
                  "inputs": slots}
        if request.schedule is not None:
            plan = request.schedule
            fields.update(run_type="run_schedule", repeat_count=plan.repeat_count,
                          repeat_start=plan.start_at.isoformat(),
                          repeat_gap=mapping.repeat_gap(plan.repeat_every))
        else:
            fields["run_type"] = "run_once"
        process = self.client.create_process(self.org, fields)
        return self._info(process, [])

    def _region_data(self, request: JobRequest) -> str:
        document = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": request.region.to_geojson()}]}
        content = json.dumps(document, sort_keys=True).encode()
        name = REGION_PREFIX + hashlib.sha256(content).hexdigest()[:16]
        found = self._uploaded_regions().get(name)
        if found is not None and self._usable(found):
            return found
        with tempfile.TemporaryDirectory(prefix="eojobs-") as tmp:
            path = Path(tmp) / "region.geojson"
            path.write_bytes(content)
            try:
                data_id = self._upload(name, path, {"file_type": "GeoJSON"})
            except InputError as exc:
                raise RegionError(f"the Fusion Platform refused the region: {exc}") from None
        self._regions[name] = data_id
        self._data_read.add(data_id)
        return data_id

    def _uploaded_regions(self) -> dict[str, str]:
        """The uploaded regions by name, the newest of each, read newest first only as far as
        the data read at an earlier call: one page per new job, not every page.

        A page is filtered only after it is read, so a filter on the name would not
        spare reading every page. What is missed (a region uploaded meanwhile by another
        client, older than the newest read) is uploaded again, which is harmless.
        """
        fresh = []
        for item in self.client.uploaded_data(self.org, reverse=True):
            data_id = str(item.get("id"))
            if data_id in self._data_read:
                break
            self._data_read.add(data_id)
            fresh.append((item.get("name"), data_id))
        for name, data_id in reversed(fresh):  # oldest first: the newest of a name wins
            if isinstance(name, str) and name.startswith(REGION_PREFIX):
                self._regions[name] = data_id
        return self._regions

    def _usable(self, data_id: str) -> bool:
        try:
            files = self.client.files(self.org, data_id)
        except NotFound:  # deleted since it was listed
            return False
        return bool(files) and all("publishable" in f and not f.get("error") for f in files)

    def _upload(self, name: str, path: Path, slot: Json) -> str:
        file_type = mapping.FILE_TYPES.get(path.suffix.lower(), "Other")
        template = self.client.new_data(self.org)
        data = self.client.create_data(self.org, {**template, "organisation_id": self.org,
                                                  "name": name})
        data_id = str(data["id"])
        _, url = self.client.add_file(self.org, data_id, path.name, file_type)
        self.client.upload(url, path)
        files = poll_until(
            lambda: self.client.files(self.org, data_id),
            lambda fs: bool(fs) and all("size" in f and ("publishable" in f or "error" in f)
                                        for f in fs),
            timeout=self.settings.analysis_timeout, intervals=(0.1, 5.0),
            what=f"the analysis of {path.name}",
        )
        # ``publishable: false`` only means "not optimised"; its presence marks it usable.
        bad = [f for f in files if f.get("error") or "publishable" not in f]
        if bad:
            raise InputError(f"the Fusion Platform could not use {path.name} "
                             f"as {slot.get('file_type', file_type)}")
        return data_id

    @_answers
    def start(self, job_id: str) -> JobInfo:
        """Execute the process, and never twice: an execute charges credits.

        When the answer to the execute is lost (a dropped connection, a read
        timeout, a 5xx), the process is read again. If it is executing, or
        its status or runs changed since it was read just before the
        execute, the execute took effect and that job is returned; if not,
        the execute is repeated, at most ``retries`` times with backoff and
        jitter. If the process cannot be read, nothing is repeated and a
        BackendError says to check the job first.
        """
        process_id = _checked(job_id)
        before = mapping.run_marks(self.client.get_process(self.org, process_id))
        process = repeat_unless_done(
            lambda: self.client.execute(self.org, process_id),
            lambda: self._executed_since(process_id, before),
            what=f"the start of job {job_id}", retries=self.settings.retries,
            backoff=self.settings.backoff, backoff_max=self.client.policy.backoff_max)
        return self._info(process, None)

    def _executed_since(self, process_id: str, before: tuple[Any, ...]) -> Json | None:
        """The process if it was executed since it showed ``before``; None if it surely was not."""
        process = self.client.get_process(self.org, process_id)
        if process.get("process_status") == "execute" or mapping.run_marks(process) != before:
            return process
        return None

    @_answers
    def stop(self, job_id: str) -> JobInfo:
        """Stop the process and its running executions."""
        return self._info(self.client.stop(self.org, _checked(job_id)), None)

    def delete(self, job_id: str) -> None:
        """Delete the process, its executions and their outputs."""
        self.client.delete_process(self.org, _checked(job_id))

    @_answers
    def get_job(self, job_id: str) -> JobInfo:
        """The process and its executions."""
        return self._info(self.client.get_process(self.org, _checked(job_id)), None)

    @_answers
    def get_jobs(self, job_ids: Iterable[str]) -> list[JobInfo]:
        """Many jobs with one paged listing of processes, plus one call per settled job.

        The listing carries each process's summary of executions; only a job
        whose executions have all ended needs its full execution list.
        """
        wanted = list(job_ids)
        found = {}
        for process in self.client.processes(self.org, limit=BATCH_PAGE):
            if process.get("id") in wanted:
                found[process["id"]] = process
        missing = [j for j in wanted if j not in found]
        if missing:
            raise NotFound(f"no Fusion job {missing[0]}")
        out = []
        for job_id in wanted:
            process = found[job_id]
            if mapping.settled(process):
                out.append(self._info(process, None))
            else:
                out.append(mapping.interim_info(process, self._service_name(process)))
        return out

    def list_jobs(self) -> list[JobInfo]:
        """Every process of the organisation, newest first."""
        return self.recent_jobs(JobHints())

    @_answers
    def recent_jobs(self, hints: JobHints) -> list[JobInfo]:
        """Processes newest first, read from the listing pages alone where they say enough.

        The pages are read only as far as ``hints`` need. Each job is built
        from its process's summary of executions; only a job whose summary
        cannot be read alone and whose runs have all ended costs one more
        request, for its executions.
        """
        pages = self.client.process_pages(self.org, limit=BATCH_PAGE, reverse=True)
        processes = listing.newest_processes(pages, hints)
        self._learn_service_names(processes)
        return [self._listed_info(p) for p in processes]

    def _listed_info(self, process: Json) -> JobInfo:
        wires = mapping.summary_wires(process)
        if wires is not None:
            return mapping.job_info(process, wires, self._service_name(process))
        if mapping.settled(process):
            return self._info(process, None)
        return mapping.interim_info(process, self._service_name(process))

    def _learn_service_names(self, processes: list[Json]) -> None:
        """Names of the services of many processes: one listing rather than one query each."""
        unknown = {str(p.get("service_id") or "") for p in processes} - set(self._service_names)
        if len(unknown) > 1:
            self.list_services()
            # An older version of a service is not among the latest: it stays unnamed.
            self._service_names.update({i: "" for i in unknown - set(self._service_names)})

    def _info(self, process: Json, wires: list[Json] | None) -> JobInfo:
        if wires is None:
            wires = self.client.executions(self.org, str(process["id"])) \
                if process.get("has_executions") else []
        return mapping.job_info(process, wires, self._service_name(process))

    def _service_name(self, process: Json) -> str:
        service_id = str(process.get("service_id") or "")
        if service_id not in self._service_names:
            found = list(self.client.services(self.org, id__eq=service_id))
            self._service_names[service_id] = found[0].get("name", "") if found else ""
        return self._service_names[service_id]

    @_answers
    def copy_job(self, job_id: str, name: str) -> JobInfo:
        """Create a new process from the copy template of this one."""
        template = self.client.copy_process(self.org, _checked(job_id))
        process = self.client.create_process(
            self.org, {**template, "organisation_id": self.org, "name": name})
        return self._info(process, [])

    @_answers
    def job_region(self, job_id: str) -> dict[str, Any]:
        """The GeoJSON file of the process's first input, the region uploaded at submit."""
        process = self.client.get_process(self.org, _checked(job_id))
        slots = process.get("inputs") or []
        data_id = slots[0].get("id") if slots and isinstance(slots[0], dict) else None
        files = self.client.files(self.org, str(data_id)) if data_id else []
        if not files:
            raise NotFound(f"Fusion job {job_id} has no region file")
        url = self.client.download_url(self.org, str(data_id), str(files[0]["file_id"]))
        with self.client.open_url(url) as stream:
            content = stream.read()
        try:
            return dict(json.loads(content))
        except ValueError:
            raise BackendError(f"the region file of Fusion job {job_id} is not GeoJSON") from None

    @_answers
    def set_delete_expiry(self, job_id: str, when: datetime,
                          execution_id: str | None = None) -> None:
        """Change the delete expiry of one execution, or of every execution of the job."""
        if execution_id:
            targets = [execution_id]
        else:
            # The platform applies a change to a whole group, so one per group is enough.
            groups: dict[str, str] = {}
            for wire in self.client.executions(self.org, _checked(job_id)):
                groups.setdefault(str(wire.get("group_id") or wire["id"]), str(wire["id"]))
            targets = list(groups.values())
        if not targets:
            raise InputError(f"job {job_id} has no executions yet; its outputs can be kept "
                             "once it has run")
        for target in targets:
            self.client.change_delete_expiry(self.org, target, when.isoformat())

    # Dispatchers

    @_answers
    def dispatchers(self, job_id: str) -> list[Dispatcher]:
        """Available dispatchers, marked attached when the process has them."""
        process, extras = self.client.get_process_with_extras(self.org, _checked(job_id))
        attached = {d.get("name"): d for d in process.get("dispatchers") or []}
        out = []
        for wire in extras.get("dispatchers") or []:
            current = attached.get(wire.get("name"), wire)
            out.append(mapping.dispatcher(wire, current, wire.get("name") in attached))
        return out

    @_answers
    def set_dispatcher(self, job_id: str, name: str, options: dict[str, Any] | None,
                       attach: bool) -> list[Dispatcher]:
        """Attach, reconfigure or detach one dispatcher with a PATCH of the process."""
        job_id = _checked(job_id)
        process, extras = self.client.get_process_with_extras(self.org, job_id)
        current = [d for d in process.get("dispatchers") or [] if d.get("name") != name]
        if attach:
            base = next((d for d in process.get("dispatchers") or [] if d.get("name") == name),
                        None) or next(d for d in extras.get("dispatchers") or []
                                      if d.get("name") == name)
            entry = json.loads(json.dumps(base))
            for option in entry.get("options") or []:
                if options and option.get("name") in options:
                    option["value"] = mapping.encode_value(option, options[option["name"]])
            current.append(entry)
        self.client.patch_process(self.org, job_id, {"dispatchers": current})
        return self.dispatchers(job_id)

    # Results and logs

    @_answers
    def list_assets(self, job_id: str) -> list[Asset]:
        """The files of the output data items of every finished execution's components."""
        assets = []
        for wire in self.client.executions(self.org, _checked(job_id)):
            if int(wire.get("progress") or 0) < 100 or not wire.get("success"):
                continue
            files: list[tuple[Json, str]] = []
            for component in self.client.components(self.org, str(wire["id"])):
                if component.get("intermediate"):
                    continue
                for data_id in component.get("outputs") or []:
                    for file in self.client.files(self.org, str(data_id)):
                        file.setdefault("data_id", str(data_id))
                        files.append((file, str(component.get("name", ""))))
            previews = mapping.preview_names([f for f, _ in files])
            thumbnails = set(previews.values())
            assets.extend(mapping.asset(f, str(wire["id"]), name,
                                        previews.get(str(f.get("file_id"))),
                                        thumbnail=f.get("file_name") in thumbnails)
                          for f, name in files)
        return assets

    def open_asset(self, asset: Asset, offset: int = 0) -> ByteStream:
        """Ask for a signed URL and stream it from ``offset``."""
        data_id, _, file_id = asset.href.partition("/")
        url = self.client.download_url(self.org, data_id, file_id)
        return self.client.open_url(url, offset)

    @_answers
    def logs(self, job_id: str) -> list[LogEntry]:
        """The log lines of every component of every execution."""
        entries = []
        for wire in self.client.executions(self.org, _checked(job_id)):
            for component in self.client.components(self.org, str(wire["id"])):
                for line in self.client.logs(self.org, str(component["id"])):
                    if mapping.parse_time(line.get("logged_at")) is None:
                        continue  # a line with no time cannot be placed among the others
                    message = str(line.get("message", ""))
                    level = "error" if message.lower().startswith(("error", "traceback")) \
                        else "info"
                    entries.append(mapping.checked(LogEntry,
                        time=mapping.parse_time(line.get("logged_at")), execution_id=wire["id"],
                        component=str(component.get("name", "")), level=level, message=message,
                    ))
        entries.sort(key=lambda e: e.time)
        return entries


_ID = re.compile(r"^[0-9a-fA-F-]{32,36}$")


def _checked(job_id: str) -> str:
    """A job id that is safe to put in a URL path, or NotFound."""
    if not _ID.match(job_id):
        raise NotFound(f"no Fusion job {job_id!r}: job ids look like 3f2a9c1e-...")
    return job_id
