"""LocalBackend: jobs that run on this machine, each kept in a folder of its own.

A job is ``FOLDER/<id>/job.json`` (its state) and ``FOLDER/<id>/out/`` (its
output files). ``start`` runs the service at once, so a started job has
already succeeded. Everything a backend must do is here: services, jobs,
assets, errors mapped to eojobs' own; one optional method (``job_region``)
shows how a backend gains a feature by overriding it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, ClassVar

from eojobs.backend import Backend, BackendSettings, JobRequest
from eojobs.errors import NotFound
from eojobs.models import Asset, Capability, JobInfo, JobStatus, Service

#: Each service: its summary, and the file it writes.
SERVICES = {
    "bbox": Service(id="bbox", name="Bounding box", keywords=["geojson"],
                    summary="The region's bounding box, as a GeoJSON polygon"),
    "area": Service(id="area", name="Area", keywords=["csv"],
                    summary="The region's area in square kilometres, as CSV"),
}
#: What a job id looks like; any other id is not one of ours (and never a path).
JOB_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(kw_only=True)
class LocalSettings(BackendSettings):
    """Settings of the local backend (``EOJOBS_LOCAL_<NAME>``)."""

    #: The folder jobs are kept in; ``~/.eojobs-local`` when not set.
    folder: str | None = None


class LocalBackend(Backend[LocalSettings]):
    """Jobs run on this machine at once, kept in the folder of the ``folder`` setting."""

    name: ClassVar[str] = "local"
    title: ClassVar[str] = "Jobs run on this machine"
    # Files are local, so a download can start at any byte.
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.RESUMABLE_DOWNLOADS})
    settings_model: ClassVar[type[BackendSettings]] = LocalSettings
    poll_interval: ClassVar[tuple[float, float]] = (0.01, 1.0)

    def __init__(self, settings: LocalSettings) -> None:
        super().__init__(settings)
        self.root = Path(settings.folder or Path.home() / ".eojobs-local").expanduser()

    # Services

    def list_services(self, search: str | None = None) -> list[Service]:
        """Both services; the core filters by ``search``."""
        return list(SERVICES.values())

    # Jobs

    def submit(self, request: JobRequest) -> JobInfo:
        """Keep the job, with its region, in a new folder; it runs when started."""
        job_id = uuid.uuid4().hex
        state = {"id": job_id, "name": request.name, "service": request.service.id,
                 "status": JobStatus.CREATED.value, "created_at": _now(), "ended_at": None,
                 "region": request.region.to_geojson(),
                 "bounds": list(request.region.bounds), "area_km2": request.region.area_km2}
        (self.root / job_id / "out").mkdir(parents=True)
        self._save(state)
        return _info(state)

    def start(self, job_id: str) -> JobInfo:
        """Run the job's service now and keep its output file."""
        state = self._load(job_id)
        if state["status"] == JobStatus.CREATED.value:
            name, data = _run(state)
            (self.root / job_id / "out" / name).write_bytes(data)
            state.update(status=JobStatus.SUCCEEDED.value, ended_at=_now())
            self._save(state)
        return _info(state)

    def delete(self, job_id: str) -> None:
        """Remove the job's folder."""
        self._load(job_id)
        shutil.rmtree(self.root / job_id)

    def get_job(self, job_id: str) -> JobInfo:
        """The job as kept."""
        return _info(self._load(job_id))

    def list_jobs(self) -> list[JobInfo]:
        """Every job kept, newest first."""
        found = [_info(self._load(p.parent.name)) for p in self.root.glob("*/job.json")]
        return sorted(found, key=lambda info: info.created_at, reverse=True)

    def job_region(self, job_id: str) -> dict[str, Any]:
        """The region's GeoJSON geometry, as the job kept it."""
        return self._load(job_id)["region"]

    # Results

    def list_assets(self, job_id: str) -> list[Asset]:
        """The job's output files (none before it ran)."""
        self._load(job_id)
        return [Asset(name=path.name, size=path.stat().st_size, execution_id=job_id,
                      media_type=_media_type(path), href=str(path), roles=["data"],
                      checksum=hashlib.sha256(path.read_bytes()).hexdigest())
                for path in sorted((self.root / job_id / "out").iterdir())]

    def open_asset(self, asset: Asset, offset: int = 0) -> IO[bytes]:
        """The file from ``offset``; only a file of one of the folder's jobs is opened."""
        path = Path(asset.href)
        if self.root.resolve() not in path.resolve().parents or not path.is_file():
            raise NotFound(f"{asset.name} is not an output of a local job")
        stream = open(path, "rb")  # noqa: SIM115 - the caller closes it
        stream.seek(offset)
        return stream

    # The job's state on disk

    def _load(self, job_id: str) -> dict[str, Any]:
        path = self.root / job_id / "job.json"
        if not JOB_ID.fullmatch(job_id) or not path.is_file():
            raise NotFound(f"no local job {job_id}")
        return json.loads(path.read_text(encoding="utf-8"))

    def _save(self, state: dict[str, Any]) -> None:
        path = self.root / state["id"] / "job.json"
        path.with_suffix(".tmp").write_text(json.dumps(state), encoding="utf-8")
        path.with_suffix(".tmp").replace(path)  # never a half-written state


def _run(state: dict[str, Any]) -> tuple[str, bytes]:
    """What the job's service writes: a file name and its bytes."""
    if state["service"] == "bbox":
        west, south, east, north = state["bounds"]
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        feature = {"type": "Feature", "properties": {"job": state["id"]},
                   "geometry": {"type": "Polygon", "coordinates": [ring]}}
        return "bbox.geojson", json.dumps(feature, indent=2).encode()
    text = io.StringIO()
    csv.writer(text).writerows([["job", "area_km2"], [state["id"], f"{state['area_km2']:.6f}"]])
    return "area.csv", text.getvalue().encode()


def _info(state: dict[str, Any]) -> JobInfo:
    done = state["status"] == JobStatus.SUCCEEDED.value
    return JobInfo(id=state["id"], name=state["name"], service_id=state["service"],
                   service_name=SERVICES[state["service"]].name, status=state["status"],
                   progress=100.0 if done else 0.0, created_at=_time(state["created_at"]),
                   started_at=_time(state["ended_at"]), ended_at=_time(state["ended_at"]))


def _media_type(path: Path) -> str:
    return {".geojson": "application/geo+json", ".csv": "text/csv"}.get(path.suffix,
                                                                       "text/plain")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
