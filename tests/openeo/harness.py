"""openeo-driver's own Flask app and dummy back-end on 127.0.0.1, with its gaps closed.

The stock dummy keeps a started job "running" forever, serves the same canned
assets for every job, and ignores stop and delete. The subclass below keeps
everything else of the driver and changes only that: a started job is queued,
then runs (with progress) for ``run_seconds``, then finishes with real files
written to a local folder, which the driver serves; a job whose arguments hold
``"fail": true`` ends in error with an error log line instead; stop cancels,
delete forgets the job and removes its files.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openeo_driver.dummy
from openeo_driver.backend import BatchJobMetadata
from openeo_driver.dummy.dummy_backend import DummyBackendImplementation, DummyBatchJobs
from openeo_driver.errors import JobNotFinishedException
from openeo_driver.util.date_math import now_utc

#: The part of a run spent queued, before it starts running.
QUEUED_SHARE = 0.2
#: What a finished job reports it cost and used.
COSTS = 1.5
USAGE = {"cpu": {"value": 12, "unit": "cpu-seconds"},
         "memory": {"value": 2048, "unit": "mb-seconds"}}
#: Bytes of the data file each finished job writes: enough for a download to be resumed.
DATA_BYTES = 300_000


def data_bytes(job_id: str) -> bytes:
    """The content of a job's data file: different for every job, the same on every read."""
    seed = job_id.encode()
    return (seed * (DATA_BYTES // len(seed) + 1))[:DATA_BYTES]


class TimedBatchJobs(DummyBatchJobs):
    """The dummy's batch jobs, with status moving on with time and real result files."""

    def __init__(self, output_root: Path, run_seconds: float) -> None:
        super().__init__()
        self.output_root = output_root
        self.run_seconds = run_seconds
        self._started: dict[tuple[str, str], float] = {}
        #: Extra assets every finished job lists, by name: their public href (another host).
        self.public_assets: dict[str, str] = {}
        self._lock = threading.Lock()

    def start_job(self, job_id: str, user: Any) -> None:
        """Queue the job; it runs and finishes as time passes."""
        with self._lock:
            self._update_status(job_id=job_id, user_id=user.user_id, status="queued")
            self._started[(user.user_id, job_id)] = time.monotonic()

    def _advance(self, job_id: str, user_id: str) -> None:
        key = (user_id, job_id)
        with self._lock:
            job = self._job_registry.get(key)
            started = self._started.get(key)
            if job is None or started is None or job.status not in ("queued", "running"):
                return
            share = (time.monotonic() - started) / self.run_seconds
            if share < QUEUED_SHARE:
                return
            if share < 1:
                progress = round(100 * (share - QUEUED_SHARE) / (1 - QUEUED_SHARE), 1)
                self._job_registry[key] = job._replace(status="running", progress=progress,
                                                       started=job.started or now_utc())
                return
            self._job_registry[key] = self._finish(job)

    def _finish(self, job: BatchJobMetadata) -> BatchJobMetadata:
        arguments = _arguments(job)
        if arguments.get("fail") is True:
            self._custom_job_logs[job.id] = [
                {"id": "1", "level": "info", "message": "processing started"},
                {"id": "2", "level": "error", "message": "the process failed on purpose"},
            ]
            return job._replace(status="error", updated=now_utc(), finished=now_utc())
        folder = self.output_root / job.id
        folder.mkdir(parents=True, exist_ok=True)
        region = next((v for v in arguments.values() if isinstance(v, dict)), {})
        (folder / "region.geojson").write_text(json.dumps(region))
        (folder / "data.bin").write_bytes(data_bytes(job.id))
        return job._replace(status="finished", progress=100.0, updated=now_utc(),
                            finished=now_utc(), costs=COSTS, usage=USAGE)

    def get_job_info(self, job_id: str, user_id: str) -> BatchJobMetadata:
        """The job, moved on to where time has taken it."""
        self._advance(job_id, user_id)
        return super().get_job_info(job_id=job_id, user_id=user_id)

    def get_user_jobs(self, user_id: str, limit: int | None = None,
                      request_parameters: dict | None = None) -> Any:
        """Every job of the user, each moved on to where time has taken it."""
        for owner, job_id in list(self._job_registry):
            if owner == user_id:
                self._advance(job_id, user_id)
        return super().get_user_jobs(user_id=user_id, limit=limit,
                                     request_parameters=request_parameters)

    def get_result_assets(self, job_id: str, user_id: str) -> dict[str, dict]:
        """The files the finished job wrote, served from its folder."""
        if self.get_job_info(job_id=job_id, user_id=user_id).status != "finished":
            raise JobNotFinishedException
        folder = self.output_root / job_id
        types = {".geojson": "application/geo+json", ".bin": "application/octet-stream"}
        found = {path.name: {"output_dir": str(folder), "type": types[path.suffix],
                             "roles": ["data"]}
                 for path in sorted(folder.iterdir())}
        for name, href in self.public_assets.items():
            found[name] = {self.ASSET_PUBLIC_HREF: href, "type": "text/plain",
                           "roles": ["data"]}
        return found

    def cancel_job(self, job_id: str, user_id: str) -> None:
        """Stop the job: a queued or running job is canceled."""
        with self._lock:
            job = self._get_job_info(job_id=job_id, user_id=user_id)
            if job.status in ("queued", "running"):
                self._job_registry[(user_id, job_id)] = job._replace(status="canceled",
                                                                     updated=now_utc())
            self._started.pop((user_id, job_id), None)

    def delete_job(self, job_id: str, user_id: str) -> None:
        """Forget the job and remove its files."""
        self.cancel_job(job_id, user_id)
        with self._lock:
            self._job_registry.pop((user_id, job_id), None)
        shutil.rmtree(self.output_root / job_id, ignore_errors=True)


def _arguments(job: BatchJobMetadata) -> dict[str, Any]:
    graph = (job.process or {}).get("process_graph") or {}
    node = next(iter(graph.values()), {}) if len(graph) == 1 else {}
    return dict(node.get("arguments") or {})


class Listing:
    """WSGI middleware: notes each request's path, adds endpoints to the capabilities, and
    answers in the driver's place where a test makes the back-end misbehave.

    The driver hides endpoints it does not implement (the estimate answers 501
    and is not listed); ``extra_endpoints`` makes the capabilities list them
    anyway, as a back-end might, while the driver still answers the calls.
    ``faults`` maps the end of a path to the status and JSON body answered there.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.extra_endpoints: list[dict[str, Any]] = []
        self.faults: dict[str, tuple[int, Any]] = {}
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        self.paths.append(path)
        fault = next((f for end, f in self.faults.items() if path.endswith(end)), None)
        if fault is not None:
            data = json.dumps(fault[1]).encode()
            start_response(f"{fault[0]} Fault", [("Content-Type", "application/json"),
                                                 ("Content-Length", str(len(data)))])
            return [data]
        if not (self.extra_endpoints and path.rstrip("/").count("/") == 2
                and path.startswith("/openeo/")):
            return self.app(environ, start_response)
        kept: dict[str, Any] = {}

        def keep(status: str, headers: list, exc_info: Any = None) -> Any:
            kept.update(status=status, headers=headers)
            return lambda data: None

        body = json.loads(b"".join(self.app(environ, keep)))
        body["endpoints"] = [*body.get("endpoints", []), *self.extra_endpoints]
        data = json.dumps(body).encode()
        headers = [(k, v) for k, v in kept["headers"] if k.lower() != "content-length"]
        start_response(kept["status"], [*headers, ("Content-Length", str(len(data)))])
        return [data]


@dataclass
class Server:
    """A running back-end: its URL and how to stop it."""

    url: str
    batch_jobs: TimedBatchJobs
    _server: Any
    listing: Listing

    def shutdown(self) -> None:
        """Stop serving."""
        self._server.shutdown()


def start(output_root: Path, run_seconds: float = 0.6,
          oidc_providers: list[Any] | None = None) -> Server:
    """The driver's app with the timed dummy, served on a free 127.0.0.1 port in a thread.

    ``oidc_providers`` (the driver's ``OidcProvider``) replace the dummy
    configuration's, whose issuers are not reachable offline.
    """
    os.environ.setdefault("OPENEO_BACKEND_CONFIG",
                          str(Path(openeo_driver.dummy.__file__).parent / "dummy_config.py"))
    from openeo_driver.views import build_app
    from werkzeug.serving import make_server

    if oidc_providers is None:
        implementation = DummyBackendImplementation()
    else:
        import attrs
        from openeo_driver.dummy import dummy_config

        implementation = DummyBackendImplementation(
            config=attrs.evolve(dummy_config.config, oidc_providers=oidc_providers))
    jobs = TimedBatchJobs(output_root, run_seconds)
    implementation.batch_jobs = jobs
    listing = Listing(build_app(backend_implementation=implementation))
    server = make_server("127.0.0.1", 0, listing, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Server(f"http://127.0.0.1:{server.server_port}", jobs, server, listing)
