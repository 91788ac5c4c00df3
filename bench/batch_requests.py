"""HTTP requests a campaign spends waiting on many running jobs, against per-job polling.

Usage: python bench/batch_requests.py [--jobs 1000] [--speed 0.5] [--poll 1.0]

Starts `eojobs mock serve` on 127.0.0.1 (in-process, on a fresh EOJOBS_HOME
in a temporary folder, the server's request log counted), and runs a
campaign of --jobs Elevation rows on `-b fusion` through it, with
--max-running as high as the rows, so the campaign runner creates and
starts every job, then waits on all of them. It counts:

- waiting: the requests of the runner's status calls (`Runner._statuses`,
  the batch status of every job it still waits on), summed over its rounds,
  from the log of requests the server answered;
- MultiBackendJobManager's strategy, computed for the same rounds: one GET
  status request per job still running per poll interval, that is, the
  number of jobs each of the runner's rounds asked about, summed. It is
  computed, not sent, and counts only rounds the runner made: a loop whose
  requests are instant would make about wall time / interval rounds, more.

Also shown: the requests spent creating and starting the jobs, and the whole
run, for scale. Both figures come from the same run, so the same jobs on the
same clock. --speed is the mock clock (EOJOBS_MOCK_SPEED); low enough that
the jobs run for several poll intervals.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from batch_campaign import feature_collection
from request_counter import RequestCounter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--speed", type=float, default=0.5,
                        help="EOJOBS_MOCK_SPEED of the server (default 0.5)")
    parser.add_argument("--poll", type=float, default=1.0, help="poll interval, seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as tmp:
        root = Path(tmp)
        home = root / "home"
        for key in [k for k in os.environ if k.startswith("EOJOBS_")]:
            del os.environ[key]
        os.environ["EOJOBS_HOME"] = str(home)
        from eojobs.batch import Campaign
        from eojobs.batch.runner import Runner
        from eojobs_mock.server.runner import start_server
        from eojobs_mock.server.state import EngineSettings

        counter = RequestCounter().install()
        settings = EngineSettings(speed=args.speed, max_slice_km2=500.0, initial_credits=1e9)
        rounds: list[tuple[int, int]] = []  # (jobs asked about, requests spent) per round
        statuses = Runner._statuses

        def counted(runner: Runner, conn: Any, job_ids: list[str]) -> Any:
            before = counter.count
            found = statuses(runner, conn, job_ids)
            rounds.append((len(job_ids), counter.count - before))
            return found

        Runner._statuses = counted  # type: ignore[method-assign]
        with start_server(home, settings=settings) as server:
            os.environ.update({"EOJOBS_FUSION_API_URL": server.url,
                               "EOJOBS_FUSION_EMAIL": server.email,
                               "EOJOBS_FUSION_PASSWORD": server.password})
            regions = feature_collection(root / "fc.geojson", args.jobs)
            before = counter.count
            campaign = Campaign.create(root / "camp", "Elevation", regions, backend="fusion")
            setup = counter.count - before
            before, start = counter.count, time.perf_counter()
            paused = campaign.run(max_running=args.jobs, poll_interval=args.poll,
                                  progress=False)
            wall, total = time.perf_counter() - start, counter.count - before
            counts = campaign.status()
            campaign.close()
        Runner._statuses = statuses  # type: ignore[method-assign]
    assert paused is None and counts["done"] == args.jobs, (paused, counts)
    waiting = sum(spent for _, spent in rounds)
    per_job = sum(asked for asked, _ in rounds)
    print(f"{args.jobs} jobs on `eojobs mock serve` (EOJOBS_MOCK_SPEED={args.speed:g}), "
          f"created, started and waited on by the campaign runner, polling every "
          f"{args.poll:g} s")
    print(f"  run: {wall:.1f} s, {len(rounds)} status rounds, {total} HTTP requests in all "
          f"(creating the campaign, which checks the rows: {setup} more)")
    print(f"  creating and starting the jobs, and the rest: {total - waiting} requests")
    print(f"  waiting, eojobs batch status:          {waiting:7d} requests")
    print(f"  waiting, one GET per job per interval: {per_job:7d} requests "
          "(MultiBackendJobManager's strategy, computed for the same rounds)")
    print(f"eojobs / per-job polling = {waiting / per_job:.4f} "
          f"({per_job / max(waiting, 1):.0f}x fewer)")


if __name__ == "__main__":
    main()
