"""One openEO job through eojobs and through the official `openeo` client: requests and time.

Starts the tests' openeo-driver back-end in-process (tests/openeo/harness.py: a
started job is queued, then runs for ``--run-seconds``, then writes
``data.bin`` and ``region.geojson``) and runs the same job on it both ways:
connect and log in (basic auth), create a batch job calling the user-defined
process "ndvi" over Glasgow, start it, wait for it, download its results.

- eojobs: ``eojobs.connect("openeo", ...)``, ``conn.create_job``,
  ``job.start_and_wait(progress=False)``, ``job.results().download(...)``;
  it polls after 0.2 s, then 1.5 times longer each time (up to 30 s).
- official client: ``openeo.connect(url, auto_validate=False)
  .authenticate_basic(...)``, ``con.datacube_from_process("ndvi",
  namespace="user", aoi=<geometry>).create_job(auto_add_save_result=False)``
  (the same one-node graph eojobs sends: no ``save_result`` node added),
  ``job.start_and_wait()`` (printing silenced) and
  ``job.get_results().download_files(...)``; once
  with its default polling (5 s, then 1.25 times longer, up to 60 s) and once
  with ``max_poll_interval=1`` (every second). ``auto_validate=False`` keeps
  it from sending ``POST /validation`` before creating the job; ``--validate``
  lets it.

Then the many-jobs case: N jobs are created and started, and only the wait
is measured: eojobs ``conn.wait_all`` (one ``GET /jobs`` listing per
interval) against the official client, which has no way to wait on many jobs:
``job.status()`` polled with ``start_and_wait``'s schedule, either on each job
in turn until it ends ("in turn"), or on every unfinished job each interval
("round-robin").

Every run uses a user of its own (made outside the measurement), so no token
is cached and each listing holds only that run's jobs; EOJOBS_HOME is a fresh
temporary folder. Requests are every request path the back-end received
(``server.listing.paths``); wall time is from connecting to the last byte
written (many jobs: the wait only). The rounds interleave the tools; the
figures are medians of ``--repeat`` rounds.

Usage: python bench/openeo_run.py [--run-seconds 3] [--repeat 3] [--jobs 10] [--validate]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REGION = ROOT / "tests" / "data" / "glasgow.geojson"
#: The statuses ``start_and_wait`` keeps polling on.
ACTIVE = ("submitted", "created", "queued", "running")
#: Requests and wall seconds of one run.
Sample = tuple[int, float]


class Methods:
    """WSGI middleware below the harness's listing: notes each request's method and path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls.append(f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO', '')}")
        return self.app(environ, start_response)


class Bench:
    """The running back-end, and how to measure one variant on it."""

    def __init__(self, server: Any, args: argparse.Namespace, out: Path) -> None:
        self.server = server
        self.args = args
        self.out = out
        self.methods = Methods(server.listing.app)
        server.listing.app = self.methods
        self.geometry = json.loads(REGION.read_text())["features"][0]["geometry"]
        self.breakdown: dict[str, Counter[str]] = {}
        self.runs = 0

    def user(self) -> tuple[str, str]:
        """A new user with "ndvi" saved (not counted)."""
        from tests.openeo.conftest import REGION_UDP, Account

        account = Account(self.server)
        account.save_process("ndvi", REGION_UDP)
        account.session.close()
        return account.username, account.password

    def folder(self, name: str) -> Path:
        self.runs += 1
        return self.out / f"{self.runs:03d}-{name.split()[0]}"

    def measure(self, name: str, fn: Callable[[], None]) -> Sample:
        """Requests and wall seconds of ``fn``; keeps the method and path of each request."""
        time.sleep(0.05)  # let the setup's last requests land before counting
        self.server.listing.paths.clear()
        self.methods.calls.clear()
        start = time.perf_counter()
        fn()
        wall = time.perf_counter() - start
        self.breakdown[name] = Counter(_generic(c) for c in self.methods.calls)
        return len(self.server.listing.paths), wall

    # One job

    def eojobs_one(self, name: str) -> tuple[Sample, Path, str]:
        import eojobs

        username, password = self.user()
        target = self.folder(name)
        done: dict[str, str] = {}

        def run() -> None:
            with eojobs.connect("openeo", url=self.server.url, username=username,
                                password=password) as conn:
                job = conn.create_job("ndvi", REGION)
                job.start_and_wait(progress=False)
                report = job.results().download(target, progress=False)
                assert not report.failed, report.failed
                done["id"] = job.id

        return self.measure(name, run), target, done["id"]

    def official_one(self, name: str, poll: float | None) -> tuple[Sample, Path, str]:
        import openeo

        username, password = self.user()
        target = self.folder(name)
        done: dict[str, str] = {}
        extra = {} if poll is None else {"max_poll_interval": poll}

        def run() -> None:
            con = openeo.connect(self.server.url, auto_validate=self.args.validate)
            con.authenticate_basic(username, password)
            cube = con.datacube_from_process("ndvi", namespace="user", aoi=self.geometry)
            job = cube.create_job(auto_add_save_result=False)
            job.start_and_wait(print=_quiet, **extra)
            job.get_results().download_files(target)
            con.session.close()
            done["id"] = job.job_id

        return self.measure(name, run), target, done["id"]

    # Many jobs

    def eojobs_many(self, name: str) -> Sample:
        import eojobs

        username, password = self.user()
        with eojobs.connect("openeo", url=self.server.url, username=username,
                            password=password) as conn:
            jobs = [conn.create_job("ndvi", REGION).start() for _ in range(self.args.jobs)]
            sample = self.measure(name, lambda: conn.wait_all(jobs, progress=False))
            assert all(j.status is eojobs.JobStatus.SUCCEEDED for j in jobs)
        return sample

    def official_many(self, name: str, poll: float, in_turn: bool) -> Sample:
        import openeo

        username, password = self.user()
        con = openeo.connect(self.server.url, auto_validate=self.args.validate)
        con.authenticate_basic(username, password)
        jobs = []
        for _ in range(self.args.jobs):
            cube = con.datacube_from_process("ndvi", namespace="user", aoi=self.geometry)
            job = cube.create_job(auto_add_save_result=False)
            job.start()
            jobs.append(job)
        wait = _wait_in_turn if in_turn else _wait_round_robin
        sample = self.measure(name, lambda: wait(jobs, poll))
        assert all(j.status() == "finished" for j in jobs)
        con.session.close()
        return sample


def _quiet(*_args: Any, **_kwargs: Any) -> None:
    pass


def _schedule(max_poll: float) -> Any:
    """``start_and_wait``'s pauses: 5 s (or less), then 1.25 times longer, up to ``max_poll``."""
    interval = min(5.0, max_poll)
    while True:
        yield interval
        interval = min(1.25 * interval, max_poll)


def _wait_in_turn(jobs: list[Any], max_poll: float) -> None:
    """Each job in turn, polled like ``start_and_wait`` polls until it ends."""
    for job in jobs:
        pauses = _schedule(max_poll)
        while job.status() in ACTIVE:
            time.sleep(next(pauses))


def _wait_round_robin(jobs: list[Any], max_poll: float) -> None:
    """Every unfinished job polled once per interval, on ``start_and_wait``'s schedule."""
    pending, pauses = list(jobs), _schedule(max_poll)
    while pending := [job for job in pending if job.status() in ACTIVE]:
        time.sleep(next(pauses))


def _generic(call: str) -> str:
    """``GET /openeo/1.2/jobs/j-123/results`` as ``GET /jobs/{id}/results``."""
    method, path = call.split(" ", 1)
    path = re.sub(r"^/openeo/1\.\d+", "", path) or "/"
    path = re.sub(r"^/jobs/[^/]+", "/jobs/{id}", path)
    path = re.sub(r"^(/jobs/\{id\}/results)/.+$", r"\1/{asset}", path)
    return f"{method} {path}"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def verify(server_root: Path, downloads: dict[str, tuple[Path, str]]) -> list[str]:
    """Every downloaded result file is the back-end's, byte for byte; the regions agree."""
    lines, regions = [], set()
    for name, (folder, job_id) in downloads.items():
        got = _files(folder)
        written = _files(server_root / job_id)
        for file_name, data in written.items():
            if got.get(file_name) != data:
                raise SystemExit(f"{name}: {file_name} differs from the back-end's")
        regions.add(got["region.geojson"])
        extra = sorted(set(got) - set(written))
        lines.append(f"  {name:26s} {', '.join(sorted(written))} identical to the back-end's "
                     f"({len(got['data.bin'])} B data.bin); also wrote {', '.join(extra)}")
    if len(regions) != 1:
        raise SystemExit("the downloaded region.geojson files differ between the tools")
    lines.append("  region.geojson: the same bytes from every tool; data.bin differs between "
                 "jobs by design (the harness seeds it with the job id)")
    return lines


def table(title: str, samples: dict[str, list[Sample]]) -> None:
    medians = {name: (statistics.median(s[0] for s in runs), statistics.median(s[1] for s in runs))
               for name, runs in samples.items()}
    reference = next(iter(medians.values()))
    print(title)
    print(f"  {'':34s} {'requests':>8s} {'wall s':>7s}   {'official/eojobs':>15s}")
    for name, (requests, wall) in medians.items():
        ratio = "" if name.startswith("eojobs") else \
            f"{requests / reference[0]:5.2f}x req {wall / reference[1]:5.2f}x wall"
        print(f"  {name:34s} {requests:8.0f} {wall:7.2f}   {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run-seconds", type=float, default=3.0,
                        help="how long each job runs on the back-end")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; figures are medians")
    parser.add_argument("--jobs", type=int, default=10, help="jobs in the many-jobs case")
    parser.add_argument("--validate", action="store_true",
                        help="let the official client validate each process graph")
    parser.add_argument("--breakdown", action="store_true",
                        help="print the requests of each variant's last run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as tmp:
        root = Path(tmp)
        os.environ["EOJOBS_HOME"] = str(root / "home")
        sys.path.insert(0, str(ROOT))  # for tests.openeo
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # Both clients are imported before any timing.
        import openeo  # noqa: F401

        import eojobs  # noqa: F401
        from tests.openeo.harness import start

        server = start(root / "results", run_seconds=args.run_seconds)
        try:
            bench = Bench(server, args, root / "downloads")
            one: dict[str, list[Sample]] = {}
            many: dict[str, list[Sample]] = {}
            downloads: dict[str, tuple[Path, str]] = {}
            single = {
                "eojobs": lambda n: bench.eojobs_one(n),
                "official (default poll)": lambda n: bench.official_one(n, None),
                "official (1 s poll)": lambda n: bench.official_one(n, 1.0),
            }
            several = {
                "eojobs wait_all": lambda n: bench.eojobs_many(n),
                "official in turn (default poll)": lambda n: bench.official_many(n, 60, True),
                "official in turn (1 s poll)": lambda n: bench.official_many(n, 1, True),
                "official round-robin (default)": lambda n: bench.official_many(n, 60, False),
                "official round-robin (1 s poll)": lambda n: bench.official_many(n, 1, False),
            }
            for _ in range(args.repeat):
                for name, fn in single.items():
                    sample, folder, job_id = fn(name)
                    one.setdefault(name, []).append(sample)
                    downloads[name] = (folder, job_id)
                for name, fn in several.items():
                    many.setdefault(name, []).append(fn(name))
            checks = verify(root / "results", downloads)
        finally:
            server.shutdown()
    validation = "with" if args.validate else "without (auto_validate=False)"
    print(f"openeo-driver dummy on 127.0.0.1, jobs run {args.run_seconds:g} s, "
          f"median of {args.repeat} rounds; official client {validation} validation")
    table("one job: connect, log in, create, start, wait, download", one)
    table(f"{args.jobs} jobs already started: the wait only", many)
    print("downloads (last round):")
    print("\n".join(checks))
    if args.breakdown:
        for name, calls in bench.breakdown.items():
            print(f"requests of {name} (last round):")
            for call, count in sorted(calls.items(), key=lambda kv: kv[0].split(" ", 1)[::-1]):
                print(f"  {count:4d}  {call}")


if __name__ == "__main__":
    main()
