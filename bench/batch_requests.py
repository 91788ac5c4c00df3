"""HTTP requests a campaign spends waiting on many running jobs, against per-job polling.

Usage: python bench/batch_requests.py [--jobs 1000] [--speed 0.01] [--poll 1.0]
       [--profile OUT]

Starts `eojobs mock serve --port 0` in a process of its own (a fresh
EOJOBS_HOME in a temporary folder, the mock clock at --speed, its request
log to a file), and runs a campaign of --jobs Elevation rows on `-b fusion`
through it, in this process, with --max-running as high as the rows: the
campaign runner creates and starts every job, then waits on all of them.
Requests are counted on the server side, one per line of its request log.
A request is "waiting" if the server logged it while the runner was in its
status call (`Runner._statuses`, the batch status of every job it still
waits on; nothing else runs then, as the campaign does not download), else
it is creating or starting (or the campaign's own checks); a breakdown by
route is printed too. The waiting requests are set against what
MultiBackendJobManager's strategy (one GET status request per running job
per poll interval) would send, two ways, both computed, not sent:

- over the same rounds: the number of jobs each of the runner's status
  rounds asked about, summed; a lower bound, as the runner makes few rounds
  while it is busy submitting;
- over wall time: per job, ceil((end - start) / --poll) polls, from the
  moment the mock platform started it to the moment it ended
  (both read from the mock's state afterwards); what a loop whose requests are
  instant would send, the strategy's real cost.

The mock clock must be slow enough that the jobs outlast submission, or
most of them end before the runner first asks (a job lasts about
3 s / --speed; submission of 1,000 jobs takes minutes). Also printed: the
time to submit (create and start) the jobs, at every tenth of them, which
shows whether it slows as jobs pile up. --profile OUT runs the server under
bench/profiled_serve.py: a cProfile of its request threads in OUT, and the
seconds per route in OUT.routes.txt.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from batch_campaign import feature_collection

BENCH = Path(__file__).resolve().parent
#: A request line of the server's log: ``<date> <time> METHOD /path STATUS``.
_REQUEST = re.compile(r"^\S+ \S+ ([A-Z]+|-) (\S*) (\S+)$")
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class ServerLog:
    """The requests in the server's log file, read as they are appended.

    The server logs a request when it sends the status line, before the
    body: when a client call returns, its requests are in the log.
    """

    def __init__(self, path: Path) -> None:
        self.handle = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
        self.partial = ""

    def new(self) -> list[str]:
        """``METHOD /route`` (ids as {id}) of each request logged since the last call."""
        text = self.partial + self.handle.read()
        lines = text.split("\n")
        self.partial = lines.pop()
        found = []
        for line in lines:
            match = _REQUEST.match(line)
            if match:
                found.append(f"{match[1]} {_ID.sub('{id}', match[2])}")
        return found

    def close(self) -> None:
        self.handle.close()


class served:
    """`eojobs mock serve --port 0` in a child process; its URL and request log."""

    def __init__(self, root: Path, env: dict[str, str], profile: Path | None) -> None:
        self.log_path = root / "server.log"
        self.env = env
        self.profile = profile

    def __enter__(self) -> tuple[str, ServerLog]:
        command = [sys.executable, "-m", "eojobs", "mock", "serve", "--port", "0"]
        if self.profile is not None:
            command[1:5] = [str(BENCH / "profiled_serve.py"), str(self.profile)]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=subprocess.PIPE,
                                            stderr=log, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        words = line.split()
        url = words[words.index("at") + 1] if "at" in words else ""
        if not url.startswith("http"):
            self.process.kill()
            raise SystemExit(f"eojobs mock serve did not start: {line!r}\n"
                             f"{self.log_path.read_text()}")
        self.log = ServerLog(self.log_path)
        return url, self.log

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--speed", type=float, default=0.01,
                        help="EOJOBS_MOCK_SPEED of the server (default 0.01: a job lasts "
                             "about 300 s)")
    parser.add_argument("--poll", type=float, default=1.0, help="poll interval, seconds")
    parser.add_argument("--profile", type=Path, help="profile the server's requests into this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as tmp:
        root = Path(tmp)
        home = root / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("EOJOBS_")}
        env.update(EOJOBS_HOME=str(home), EOJOBS_MOCK_SPEED=str(args.speed),
                   EOJOBS_MOCK_MAX_SLICE_KM2="500", EOJOBS_MOCK_INITIAL_CREDITS="1e9")
        os.environ.clear()
        os.environ.update(env)
        with served(root, env, args.profile.resolve() if args.profile else None) as (url, log):
            from eojobs_mock.server.state import DEFAULT_EMAIL, DEFAULT_PASSWORD

            os.environ.update(EOJOBS_FUSION_API_URL=url, EOJOBS_FUSION_EMAIL=DEFAULT_EMAIL,
                              EOJOBS_FUSION_PASSWORD=DEFAULT_PASSWORD)
            result = run_campaign(root, args, log)
        result["ends"] = job_ends(home, args.speed)
    report(args, result)


def run_campaign(root: Path, args: argparse.Namespace, log: ServerLog) -> dict[str, Any]:
    """Create and run the campaign, the runner's status calls and starts watched."""
    from eojobs.batch import Campaign
    from eojobs.batch.runner import Runner

    rounds: list[tuple[int, int]] = []  # (jobs asked about, requests logged) per status call
    started: dict[str, float] = {}  # job id -> when the runner first started it
    waiting: Counter[str] = Counter()
    other: Counter[str] = Counter()
    statuses, start_job = Runner._statuses, Runner._start

    def counted(runner: Runner, conn: Any, job_ids: list[str]) -> Any:
        other.update(log.new())
        found = statuses(runner, conn, job_ids)
        spent = log.new()
        waiting.update(spent)
        rounds.append((len(job_ids), len(spent)))
        return found

    def timed_start(runner: Runner, conn: Any, key: str, job_id: str) -> None:
        start_job(runner, conn, key, job_id)
        started.setdefault(job_id, time.time())

    Runner._statuses, Runner._start = counted, timed_start  # type: ignore[method-assign]
    try:
        regions = feature_collection(root / "fc.geojson", args.jobs)
        campaign = Campaign.create(root / "camp", "Elevation", regions, backend="fusion")
        setup = log.new()
        begin = time.time()
        paused = campaign.run(max_running=args.jobs, poll_interval=args.poll, progress=False)
        wall = time.time() - begin
        other.update(log.new())
        counts = campaign.status()
        campaign.close()
    finally:
        Runner._statuses, Runner._start = statuses, start_job  # type: ignore[method-assign]
    assert paused is None and counts["done"] == args.jobs, (paused, counts)
    return {"rounds": rounds, "started": started, "begin": begin, "wall": wall,
            "setup": len(setup), "waiting": waiting, "other": other}


def job_ends(home: Path, speed: float) -> dict[str, tuple[float, float]]:
    """When the mock platform started and ended each job (epoch seconds), from its state."""
    from eojobs_mock.engine.platform import MockPlatform

    platform = MockPlatform(home, speed=speed)
    try:
        return {job.row.id: (job.row.started_at, job.ended_at) for job in platform.jobs()
                if job.row.started_at is not None and job.ended_at is not None}
    finally:
        platform.close()


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    rounds, started, ends = result["rounds"], result["started"], result["ends"]
    waiting, other = result["waiting"], result["other"]
    ours = sum(spent for _, spent in rounds)
    same_rounds = sum(asked for asked, _ in rounds)
    wall_polls = sum(max(1, math.ceil((end - start) / args.poll)) for start, end in ends.values())
    starts = sorted(started.values())
    tenths = [starts[max(0, math.ceil(len(starts) * k / 10) - 1)] - result["begin"]
              for k in range(1, 11)]
    lasted = sorted(end - start for start, end in ends.values())
    print(f"{args.jobs} jobs on `eojobs mock serve` in its own process "
          f"(EOJOBS_MOCK_SPEED={args.speed:g}, a job runs {lasted[len(lasted) // 2]:.0f} s "
          f"median), created, started and waited on by the campaign runner, polling every "
          f"{args.poll:g} s; requests counted from the server's log")
    print(f"  run: {result['wall']:.1f} s, {len(rounds)} status rounds; jobs started by "
          f"{', '.join(f'{t:.0f}' for t in tenths)} s (each tenth)")
    print(f"  creating the campaign (checks the rows): {result['setup']} requests")
    print(f"  creating and starting the jobs:          {sum(other.values()):7d} requests")
    print(f"  waiting, eojobs batch status:            {ours:7d} requests")
    print(f"  waiting, one GET per job per interval:   {same_rounds:7d} requests over the "
          "same rounds (computed)")
    print(f"  waiting, one GET per job per interval:   {wall_polls:7d} requests over wall time, "
          "start to end of each job (computed; MultiBackendJobManager's strategy)")
    print(f"eojobs / per-job polling, same rounds = {ours / same_rounds:.4f} "
          f"({same_rounds / max(ours, 1):.0f}x fewer)")
    print(f"eojobs / per-job polling, wall time   = {ours / wall_polls:.4f} "
          f"({wall_polls / max(ours, 1):.0f}x fewer)")
    print("requests by route, waiting / other:")
    for route in sorted(set(waiting) | set(other), key=lambda r: -(waiting[r] + other[r])):
        print(f"  {waiting[route]:7d} {other[route]:7d}  {route}")


if __name__ == "__main__":
    main()
