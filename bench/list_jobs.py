"""HTTP requests spent listing jobs and finding one by an id prefix on Fusion.

Starts `eojobs mock serve` on 127.0.0.1, creates N Elevation jobs, runs
most of them to the end, then counts the requests the server receives for:

- `eojobs -b fusion jobs` (the CLI, in-process, on a fresh login);
- `Connection.jobs()` and `Connection.jobs(limit=10)` on a connection
  that has logged in;
- `Connection.job(<8-character prefix>)`;
- a per-job reference: the process listing plus each job's executions,
  which is what a listing cost before it was built from the pages alone;
- the official SDK: every process of the organisation and its executions.

Usage: python bench/list_jobs.py [--jobs 40] [--run 30]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from request_counter import RequestCounter

REGION = Path(__file__).parent.parent / "tests" / "data" / "glasgow.geojson"


def per_job_reference(conn) -> None:
    backend = conn.backend
    for process in backend.client.processes(backend.org):
        if process.get("has_executions"):
            backend.client.executions(backend.org, str(process["id"]))


def sdk_listing(url: str, email: str, password: str) -> None:
    import fusion_platform

    user = fusion_platform.login(email=email, password=password, api_url=url)
    organisation = next(user.organisations)
    for process in organisation.processes:
        list(process.executions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--run", type=int, default=30, help="how many of the jobs to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["EOJOBS_HOME"] = str(home)
        from click.testing import CliRunner

        import eojobs
        from eojobs.cli import cli
        from eojobs_mock.server.runner import start_server
        from eojobs_mock.server.state import EngineSettings

        counter = RequestCounter().install()
        results: dict[str, int] = {}
        settings = EngineSettings(speed=100000.0, max_slice_km2=500.0, initial_credits=1e9)
        with start_server(home, settings=settings) as server:
            login = {"api_url": server.url, "email": server.email,
                     "password": server.password}
            with eojobs.connect("fusion", **login) as conn:
                jobs = [conn.create_job("Elevation", REGION, options={"resolution": 30 + i})
                        for i in range(args.jobs)]
                conn.wait_all([j.start() for j in jobs[: args.run]], progress=False,
                              poll_interval=0.05)
            env = {f"EOJOBS_FUSION_{k.upper()}": v for k, v in login.items()}
            before = counter.count
            outcome = CliRunner().invoke(cli, ["-b", "fusion", "jobs"], env=env)
            assert outcome.exit_code == 0, outcome.output
            results["eojobs -b fusion jobs (CLI)"] = counter.count - before
            with eojobs.connect("fusion", **login) as conn:
                conn.credits()  # log in first: what follows is the listing alone
                for name, call in [
                    ("Connection.jobs()", lambda: conn.jobs()),
                    ("Connection.jobs(limit=10)", lambda: conn.jobs(limit=10)),
                    ("Connection.job(prefix)", lambda: conn.job(jobs[0].id[:8])),
                    ("per-job reference", lambda: per_job_reference(conn)),
                ]:
                    before = counter.count
                    call()
                    results[name] = counter.count - before
            before = counter.count
            sdk_listing(server.url, server.email, server.password)
            results["official SDK (with login)"] = counter.count - before
    print(f"{args.jobs} jobs on Fusion ({args.run} of them run to the end)")
    for name, requests in results.items():
        print(f"  {name:30s} {requests:5d} HTTP requests")


if __name__ == "__main__":
    main()
