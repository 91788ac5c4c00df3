"""HTTP requests spent waiting on many running jobs: eojobs against the official SDK.

Starts `eojobs mock serve` on 127.0.0.1 with a clock slow enough that the
jobs run for a few seconds, creates and starts N Elevation jobs, then waits
for all of them twice, counting the requests the server receives:

- eojobs: `Connection.wait_all` (one paged process listing per interval,
  plus one executions listing per job once it has ended);
- the official SDK: for each process, what `execute(wait=True)` does after
  executing (`wait_for_next_execution`, then `check_complete(wait=True)`
  on every execution), with the same poll period.

Usage: python bench/wait_many.py [--jobs 100] [--speed 5] [--poll 0.5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from request_counter import RequestCounter

REGION = Path(__file__).parent.parent / "tests" / "data" / "glasgow.geojson"



def start_jobs(conn, n: int) -> list:
    return [conn.create_job("Elevation", REGION, options={"resolution": 30 + i}).start()
            for i in range(n)]


def sdk_wait(url: str, email: str, password: str, ids: set[str], poll: float) -> None:
    import fusion_platform
    import fusion_platform.models.model

    user = fusion_platform.login(email=email, password=password, api_url=url,
                                 session_options={"api_update_wait_period": poll})
    organisation = next(user.organisations)
    for process in organisation.processes:
        if str(process.id) not in ids:
            continue
        try:
            process.wait_for_next_execution()
        except fusion_platform.models.model.ModelError:
            pass  # the run already ended and put the process back to "stop"
        for execution in process.executions:
            execution.check_complete(wait=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--speed", type=float, default=5.0)
    parser.add_argument("--poll", type=float, default=0.5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["EOJOBS_HOME"] = str(home)
        import eojobs
        from eojobs_mock.server.runner import start_server
        from eojobs_mock.server.state import EngineSettings

        counter = RequestCounter().install()
        settings = EngineSettings(speed=args.speed, max_slice_km2=500.0,
                                  initial_credits=1e9)
        results = {}
        with start_server(home, settings=settings) as server:
            with eojobs.connect("fusion", api_url=server.url, email=server.email,
                                password=server.password) as conn:
                jobs = start_jobs(conn, args.jobs)
                before, start = counter.count, time.perf_counter()
                conn.wait_all(jobs, progress=False, poll_interval=args.poll)
                results["eojobs wait_all"] = (counter.count - before,
                                              time.perf_counter() - start)
                jobs = start_jobs(conn, args.jobs)
            before, start = counter.count, time.perf_counter()
            sdk_wait(server.url, server.email, server.password, {j.id for j in jobs},
                     args.poll)
            results["official SDK"] = (counter.count - before, time.perf_counter() - start)
    print(f"waiting on {args.jobs} running jobs, polling every {args.poll} s")
    for name, (requests, seconds) in results.items():
        print(f"  {name:16s} {requests:6d} HTTP requests   {seconds:6.1f} s")
    ours, theirs = results["eojobs wait_all"][0], results["official SDK"][0]
    print(f"eojobs / SDK requests = {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
