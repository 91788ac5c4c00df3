"""The README's CLI workflow with ``-b openeo``, in-process, against the driver's dummy back-end."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from eojobs.cli import cli
from tests.conftest import GLASGOW
from tests.openeo.conftest import Account, files
from tests.openeo.harness import data_bytes


@pytest.fixture(autouse=True)
def quiet_server():
    """Keep the server thread's error log (a 501 estimate, a 404) out of the CLI's stderr."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


def eojobs(*args: str) -> Result:
    """``eojobs -b openeo ARGS``, run in-process."""
    return CliRunner().invoke(cli, ["-b", "openeo", *args], catch_exceptions=False)


def served(account: Account, job_id: str) -> dict[str, bytes]:
    """The bytes of each result file, as the back-end serves them."""
    results = account.session.get(f"{account.url}/jobs/{job_id}/results").json()
    return {name: account.session.get(asset["href"]).content
            for name, asset in results["assets"].items()}


def on_server(account: Account, job_id: str) -> dict:
    """The job as the back-end describes it."""
    return account.session.get(f"{account.url}/jobs/{job_id}").json()


def test_services_lists_the_saved_processes_and_service_shows_the_options(openeo_env):
    listed = eojobs("services")
    assert listed.exit_code == 0, listed.stderr
    rows = [line.split()[:2] for line in listed.stdout.splitlines()[1:]]
    assert rows == [["ndvi", "ndvi"], ["noregion", "noregion"]]
    assert "Mean NDVI over a region" in listed.stdout
    searched = eojobs("--json", "services", "--search", "mean ndvi")
    assert [s["id"] for s in json.loads(searched.stdout)] == ["ndvi"]

    shown = eojobs("service", "ndvi")
    assert shown.exit_code == 0, shown.stderr
    options = {line.split()[0]: line for line in
               shown.stdout.split("Options:")[1].split("Inputs:")[0].splitlines()[2:] if line}
    assert sorted(options) == ["bands", "day", "fail", "label", "method", "moment",
                               "threshold", "window"]
    assert options["threshold"].split()[1:4] == ["number", "no", "0.5"]
    assert "mean, median" in options["method"]
    assert "given with --region" in shown.stdout

    missing = eojobs("service", "nothing")
    assert missing.exit_code == 2
    assert "no service 'nothing' on openeo" in missing.stderr


def test_create_prints_the_id_and_says_the_price_is_not_given(openeo_env):
    created = eojobs("create", "ndvi", "-r", str(GLASGOW), "-n", "priced", "-o", "window=4")
    assert created.exit_code == 0, created.stderr
    job_id = created.stdout.strip()
    assert f"created job {job_id} (priced), price not given" in created.stderr
    assert f"eojobs -b openeo start {job_id}" in created.stderr
    job = on_server(openeo_env, job_id)
    assert job["status"] == "created" and job["title"] == "priced"
    assert job["process"]["process_graph"]["run"]["arguments"]["window"] == 4

    status = eojobs("status", job_id)
    assert status.exit_code == 0, status.stderr
    assert status.stdout.splitlines()[1:4] == ["service:  ndvi", "status:   created (0%)",
                                               "price:    not given"]


def test_max_price_is_refused_up_front_where_the_back_end_offers_no_estimate(openeo_env):
    refused = eojobs("run", "ndvi", "-r", str(GLASGOW), "--max-price", "5")
    assert refused.exit_code == 2 and refused.stdout == ""
    assert refused.stderr.strip() == (
        "error: the openeo backend does not support pricing jobs, so --max-price cannot be "
        "checked; nothing was created")
    assert openeo_env.session.get(f"{openeo_env.url}/jobs").json()["jobs"] == []


def test_max_price_keeps_a_job_the_estimate_failed_for(openeo_env, openeo_server,
                                                       monkeypatch):
    monkeypatch.setattr(openeo_server.listing, "extra_endpoints",
                        [{"path": "/jobs/{job_id}/estimate", "methods": ["GET"]}])
    refused = eojobs("run", "ndvi", "-r", str(GLASGOW), "--max-price", "5")
    assert refused.exit_code == 1
    job_id = refused.stdout.splitlines()[0]
    assert (f"error: the openeo backend gave no price for job {job_id}, so --max-price "
            "cannot be checked; it is kept, not started") in refused.stderr
    assert on_server(openeo_env, job_id)["status"] == "created"


def test_run_download_then_the_rest_of_the_workflow(openeo_env, tmp_path):
    out = tmp_path / "out"
    ran = eojobs("run", "ndvi", "-r", str(GLASGOW), "-q", "--download", str(out))
    assert ran.exit_code == 0, ran.stderr
    job_id = ran.stdout.strip()
    got = {name: data for name, data in files(out).items() if not name.startswith(".eojobs/")}
    assert got == served(openeo_env, job_id)
    assert got["data.bin"] == data_bytes(job_id)
    assert json.loads(got["region.geojson"])["type"] == "Polygon"

    other = eojobs("create", "ndvi", "-r", str(GLASGOW), "-n", "other")
    other_id = other.stdout.strip()
    listed = eojobs("jobs")
    assert listed.exit_code == 0, listed.stderr
    rows = {line.split()[1]: line.split() for line in listed.stdout.splitlines()[1:]}
    short = rows["ndvi"][0]
    assert len(short) < len(job_id) and job_id.startswith(short)
    assert not other_id.startswith(short)
    assert rows["ndvi"][2:5] == ["ndvi", "succeeded", "100%"]
    assert rows["other"][2:5] == ["ndvi", "created", "0%"]
    by_service = eojobs("--json", "jobs", "--service", "ndvi", "--status", "succeeded")
    assert [j["id"] for j in json.loads(by_service.stdout)] == [job_id]

    status = eojobs("status", short)
    assert status.exit_code == 0, status.stderr
    assert status.stdout.splitlines()[0] == f"{job_id}  ndvi"
    assert "status:   succeeded (100%)" in status.stdout
    assert "price:    1.5 credits" in status.stdout  # the costs the back-end reports
    usage = next(line for line in status.stdout.splitlines() if line.startswith("usage:"))
    assert usage.startswith("usage:    cpu 12 cpu-seconds, duration ")  # the driver adds it
    assert usage.endswith(", memory 2048 mb-seconds")

    waited = eojobs("wait", short)
    assert waited.exit_code == 0, waited.stderr
    assert f"job {job_id} succeeded" in waited.stderr

    logs = eojobs("logs", job_id)
    assert logs.exit_code == 0, logs.stderr
    said = openeo_env.session.get(f"{openeo_env.url}/jobs/{job_id}/logs").json()["logs"]
    lines = logs.stdout.splitlines()
    assert len(lines) == len(said) > 0
    for line, entry in zip(lines, said, strict=True):
        assert line.endswith(f"  {entry['level'].upper()}  {entry['message']}")
        assert f"  {job_id[:8]}  " in line

    results = eojobs("results", job_id)
    assert results.exit_code == 0, results.stderr
    rows = [line.split()[0] for line in results.stdout.splitlines()[1:]]
    assert rows == ["data.bin", "region.geojson"]
    assert "293.0 KiB" in results.stdout and "application/geo+json" in results.stdout

    document = openeo_env.session.get(f"{openeo_env.url}/jobs/{job_id}/results").json()
    remote = eojobs("results", job_id, "--stac")
    assert remote.exit_code == 0, remote.stderr
    assert json.loads(remote.stdout) == document
    local = json.loads(eojobs("results", job_id, "--stac", "--dir", str(out)).stdout)
    assert {k: v for k, v in local.items() if k != "assets"} == \
        {k: v for k, v in document.items() if k != "assets"}
    for name, asset in local["assets"].items():
        assert Path(asset["href"]) == (out / name).resolve()
        assert {**asset, "href": None} == {**document["assets"][name], "href": None}

    again = tmp_path / "again"
    downloaded = eojobs("download", short, "--dir", str(again))
    assert downloaded.exit_code == 0, downloaded.stderr
    assert f"downloaded 2 files (294.8 KiB) to {again}" in downloaded.stderr
    assert {n: d for n, d in files(again).items() if not n.startswith(".eojobs/")} == got

    deleted = eojobs("delete", job_id, other_id, "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    assert f"deleted job {job_id} (ndvi, succeeded)" in deleted.stderr
    gone = eojobs("status", job_id)
    assert gone.exit_code == 2
    assert f"The batch job '{job_id}' does not exist. (JobNotFound" in gone.stderr
    assert eojobs("jobs").stdout.splitlines()[1:] == []


def test_stop_on_a_running_job_stops_it(openeo_env, openeo_server, monkeypatch):
    monkeypatch.setattr(openeo_server.batch_jobs, "run_seconds", 3600.0)
    started = eojobs("run", "ndvi", "-r", str(GLASGOW), "--no-wait")
    assert started.exit_code == 0, started.stderr
    job_id = started.stdout.strip()
    assert f"follow it with: eojobs -b openeo wait {job_id}" in started.stderr
    assert "status:   running" in eojobs("status", job_id).stdout

    stopped = eojobs("stop", job_id)
    assert stopped.exit_code == 0, stopped.stderr
    assert f"stopped job {job_id}" in stopped.stderr
    assert on_server(openeo_env, job_id)["status"] == "canceled"
    assert "status:   stopped" in eojobs("status", job_id).stdout
    again = eojobs("stop", job_id)
    assert "had already ended (stopped); nothing to stop" in again.stderr


def test_a_failing_run_exits_1_with_the_error_from_the_logs(openeo_env):
    ran = eojobs("run", "ndvi", "-r", str(GLASGOW), "-q", "-o", "fail=true")
    assert ran.exit_code == 1
    job_id = ran.stdout.splitlines()[0]
    assert "the process failed on purpose" in ran.stderr
    errors = eojobs("logs", job_id, "--level", "error")
    assert errors.exit_code == 0, errors.stderr
    assert [line.split("ERROR")[1].strip() for line in errors.stdout.splitlines()] == [
        "the process failed on purpose"]


def test_each_run_downloads_its_own_jobs_files(openeo_env, tmp_path: Path):
    first = eojobs("run", "ndvi", "-r", str(GLASGOW), "-q", "--download", str(tmp_path / "a"))
    second = eojobs("run", "ndvi", "-r", str(GLASGOW), "-q", "--download", str(tmp_path / "b"))
    assert first.exit_code == second.exit_code == 0
    a, b = first.stdout.strip(), second.stdout.strip()
    assert files(tmp_path / "a")["data.bin"] == data_bytes(a)
    assert files(tmp_path / "b")["data.bin"] == data_bytes(b) != data_bytes(a)
