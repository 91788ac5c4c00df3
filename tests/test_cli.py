from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from eojobs.cli import cli
from tests.conftest import GLASGOW


def invoke(*args: str, **kwargs):
    runner = CliRunner()
    return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)


def run_json(*args: str) -> dict:
    result = invoke("--json", *args)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def test_backends_lists_the_built_in_backends_with_capabilities():
    result = invoke("backends")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("mock") and "ready" in line for line in lines)
    data = run_json("backends")
    assert {d["name"]: d["implemented"] for d in data} == {"fusion": True, "mock": True,
                                                            "openeo": True, "stac": True}
    # What each can do follows from the methods it has, and the facts it declares.
    found = {d["name"]: d["capabilities"] for d in data}
    assert found["stac"] == ["job-region", "price", "resumable-downloads", "search"]
    assert found["openeo"] == ["batch-status", "login", "logs", "price",  # where estimated
                               "resumable-downloads", "stop"]
    assert "batch-status" not in found["mock"] and "login" not in found["mock"]
    assert {"schedules", "credits", "stop", "logs"} <= set(found["fusion"])


def test_fusion_without_credentials_says_how_to_log_in():
    result = invoke("-b", "fusion", "services")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: no credentials for fusion: run `eojobs login fusion` or set "
        "EOJOBS_FUSION_EMAIL and EOJOBS_FUSION_PASSWORD")


def test_features_the_mock_lacks_are_refused_up_front():
    job_id = run_json("run", "elevation", "-r", str(GLASGOW))["id"]
    result = invoke("dispatchers", "list", job_id)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: the mock backend does not support dispatchers"
    result = invoke("keep", job_id, "2030-01-01")
    assert result.exit_code == 2
    assert "does not support changing when outputs are deleted" in result.stderr


def test_copy_credits_and_organisations_on_the_mock():
    job_id = run_json("run", "elevation", "-r", str(GLASGOW))["id"]
    copied = run_json("copy", job_id, "--name", "again")
    assert copied["name"] == "again" and copied["status"] == "created"
    assert copied["id"] != job_id and copied["price"] == 3.29
    assert run_json("credits") == {"credits": 1000 - 3.29}
    assert run_json("organisations")[0]["name"] == "Mock organisation"
    login = invoke("login", "mock")
    assert login.exit_code == 2 and "the mock backend needs no login" in login.stderr


def test_services_and_service():
    assert "Elevation" in invoke("services", "--search", "terrain").stdout
    shown = invoke("service", "vegetation")
    assert shown.exit_code == 0
    assert "start_date" in shown.stdout and "datetime" in shown.stdout
    assert "2  mask (GeoTIFF, optional)" in shown.stdout
    assert run_json("service", "elevation")["name"] == "Elevation"


def test_run_prints_the_id_first_and_downloads(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", "elevation", "--region", str(GLASGOW), "--download", str(out))
    assert result.exit_code == 0, result.stderr
    job_id = result.stdout.splitlines()[0]
    assert len(job_id) == 36
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "elevation.png", "elevation.tif", "footprint.geojson", "statistics.csv"]
    assert "price 3.29 credits" in result.stderr
    status = run_json("status", job_id)
    assert status["status"] == "succeeded" and status["progress"] == 100


def test_run_json_and_the_rest_of_the_workflow(tmp_path):
    data = run_json("run", "Statistics", "-r", "-4.0,54.0,-3.0,54.6", "-o", "label=a=b",
                    "-o", "statistic=MAXIMUM", "--name", "zonal")
    assert {"id", "status", "price"} <= set(data)
    assert data["status"] == "succeeded" and data["name"] == "zonal"
    assert data["options"]["label"] == "a=b" and data["options"]["statistic"] == "maximum"
    job_id = data["id"]
    assert f"\n{job_id[:8]}  zonal" in invoke("jobs").stdout
    assert [j["id"] for j in run_json("jobs")] == [job_id]
    assert "Land Cover started" in invoke("logs", job_id).stdout
    results = run_json("results", job_id)
    assert "aggregate/statistics.csv" in {r["path"] for r in results}
    assert "aggregate/statistics.csv" in invoke("results", job_id).stdout
    report = run_json("download", job_id, "--dir", str(tmp_path / "d"), "--parallel", "2")
    assert len(report["done"]) == len(results) and report["failed"] == []
    again = run_json("download", job_id, "--dir", str(tmp_path / "d"))
    assert again["done"] == [] and len(again["skipped"]) == len(results)
    assert invoke("wait", job_id).exit_code == 0
    assert invoke("delete", job_id, "--yes").exit_code == 0
    assert run_json("jobs") == []


def test_a_different_file_in_the_way_is_kept_and_the_cli_names_its_flag(tmp_path):
    job_id = run_json("run", "elevation", "-r", str(GLASGOW))["id"]
    theirs = tmp_path / "d" / "elevation.tif"
    theirs.parent.mkdir()
    theirs.write_bytes(b"mine")
    result = invoke("download", job_id, "--dir", str(theirs.parent))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-2:] == [
        f"failed: {theirs}: a different file already exists at {theirs}; download with "
        "--overwrite to replace it",
        f"error: 1 file failed; run again to retry: eojobs download {job_id} --dir "
        f"{theirs.parent} --overwrite"]
    report = json.loads(invoke("--json", "download", job_id, "--dir", str(theirs.parent)).stdout)
    assert report["failed"] == [{"path": str(theirs), "reason": (
        f"a different file already exists at {theirs}; download with --overwrite to replace "
        "it")}]
    assert theirs.read_bytes() == b"mine"


def test_no_wait_then_wait_and_stop(monkeypatch):
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "1")
    data = run_json("run", "elevation", "-r", str(GLASGOW), "--no-wait")
    assert data["status"] == "running"
    timed_out = invoke("wait", data["id"], "--timeout", "0.05")
    assert timed_out.exit_code == 1
    assert f"keeps running; wait again with: eojobs wait {data['id']}\n" in timed_out.stderr
    stopped = run_json("stop", data["id"])
    assert stopped["status"] == "stopped"
    failed = invoke("wait", data["id"])
    assert failed.exit_code == 1 and "was stopped" in failed.stderr


def test_failed_job_exits_1_with_its_error_log():
    result = invoke("run", "failing", "-r", str(GLASGOW))
    assert result.exit_code == 1
    assert "failed: simulated failure" in result.stderr
    assert "Failing Processor: simulated failure" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_short_credits_exit_1_charge_nothing_and_say_how_to_start_later():
    assert invoke("mock", "credits", "--set", "1").exit_code == 0
    result = invoke("run", "elevation", "-r", str(GLASGOW))
    assert result.exit_code == 1
    assert "costs 3.29 credits but the account has 1" in result.stderr
    job_id = result.stdout.splitlines()[0]
    assert f"start it later with `eojobs start {job_id}`" in result.stderr
    assert run_json("mock", "credits") == {"credits": 1}
    assert invoke("mock", "credits", "--set", "10").exit_code == 0
    assert run_json("start", job_id)["status"] in ("running", "succeeded")
    assert invoke("wait", job_id).exit_code == 0


def test_json_run_of_a_failing_job_still_prints_its_document():
    result = invoke("--json", "run", "failing", "-r", str(GLASGOW))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "failed" and data["error"].startswith("simulated failure")


def test_json_wait_on_one_failing_job_still_prints_its_document():
    job_id = run_json("run", "failing", "-r", str(GLASGOW), "--no-wait")["id"]
    result = invoke("--json", "wait", job_id)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "failed"


@pytest.mark.parametrize(("args", "message"), [
    (["--repeat-count", "2", "--repeat-every", "0.0000001s"],
     "'0.0000001s' is not a duration such as 30m, 6h or 1d"),
    (["--start-at", "0001-01-01T00:00:00+05:00"],
     "'0001-01-01T00:00:00+05:00' is out of range once taken to UTC"),
])
def test_schedules_that_cannot_be_represented_are_refused(args, message):
    result = invoke("run", "elevation", "-r", str(GLASGOW), "--no-wait", *args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert run_json("jobs") == []


def test_a_start_time_without_timezone_is_taken_as_utc_and_said():
    result = invoke("run", "elevation", "-r", str(GLASGOW), "--no-wait",
                    "--start-at", "2030-01-01T06:00")
    assert result.exit_code == 0
    assert "--start-at: no timezone given, assuming UTC" in result.stderr
    job = run_json("jobs")[0]
    assert job["schedule"]["start_at"].startswith("2030-01-01T06:00:00")
    status = invoke("status", job["id"]).stdout
    from datetime import datetime, timezone

    from eojobs.cli.common import local_time

    due = local_time(datetime(2030, 1, 1, 6, tzinfo=timezone.utc))
    assert f"schedule: 1 run from {due}\n" in status


def test_environment_problems_are_one_line_not_a_traceback(monkeypatch, tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    monkeypatch.setenv("EOJOBS_HOME", str(not_a_dir))
    result = invoke("jobs")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: cannot read {not_a_dir}/config.toml: Not a directory; check EOJOBS_HOME")
    home = tmp_path / "home2"
    (home / "mock").mkdir(parents=True)
    (home / "mock" / "state.sqlite").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("EOJOBS_HOME", str(home))
    result = invoke("jobs")
    assert result.exit_code == 1
    assert "cannot be used (file is not a database); move it away" in result.stderr
    newer = tmp_path / "home3"
    (newer / "mock").mkdir(parents=True)
    import sqlite3

    with sqlite3.connect(newer / "mock" / "state.sqlite") as db:
        db.execute("PRAGMA user_version = 99")
    monkeypatch.setenv("EOJOBS_HOME", str(newer))
    result = invoke("jobs")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: the mock platform's database {newer}/mock/state.sqlite cannot be used (it was "
        "written by a newer eojobs); move it away to start afresh")


def test_a_broken_plugin_warns_and_everything_else_works(tmp_path):
    info = tmp_path / "broken_plugin-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text("[eojobs]\nbroken = no_such_module_here\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "eojobs", "backends"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "mock" in done.stdout
    assert done.stderr.strip() == (
        "warning: plugin 'broken' (no_such_module_here) failed to load and is skipped: "
        "ModuleNotFoundError: No module named 'no_such_module_here'")


BAD_INPUT = [
    (["run", "elevation", "-r", "nowhere.geojson"], "no such region file: nowhere.geojson"),
    (["run", "elevation", "-r", "5,5,4,6"], "has west (5) east of east (4)"),
    (["run", "elevation", "-r", "POINT (1 2)"], "has no polygon, only Point"),
    (["run", "elevation", "-r", str(GLASGOW), "-o", "resolution=30m"],
     "option 'resolution' expects a number, got '30m'"),
    (["run", "elevation", "-r", str(GLASGOW), "-o", "resolutoin=30"],
     "no option 'resolutoin' (did you mean 'resolution'?)"),
    (["run", "elevation", "-r", str(GLASGOW), "-o", "resolution"],
     "'resolution' is not NAME=VALUE"),
    (["run", "elevation", "-r", str(GLASGOW), "-o", "dem_source=srtn"],
     "must be one of COPERNICUS, SRTM, ALOS; got 'srtn' (did you mean 'SRTM'?)"),
    (["run", "vegetation", "-r", str(GLASGOW)], "Vegetation Index needs option 'start_date'"),
    (["run", "vegetation", "-r", str(GLASGOW), "-o", "start_date=2024-01-01", "-o",
      "end_date=2024-02-01", "-i", "7=x.tif"], "has no input '7'"),
    (["run", "vegetation", "-r", str(GLASGOW), "-o", "start_date=2024-01-01", "-o",
      "end_date=2024-02-01", "-i", "2=missing.tif"], "input mask: no such file missing.tif"),
    (["run", "elevation", "-r", str(GLASGOW), "--repeat-count", "3"],
     "--repeat-count above 1 needs --repeat-every"),
    (["run", "elevation", "-r", str(GLASGOW), "--repeat-every", "soon"],
     "'soon' is not a duration"),
    (["run", "elevation", "-r", str(GLASGOW), "--no-wait", "--download", "x"],
     "--download needs the job to finish"),
    (["-b", "nope", "services"], "no backend named 'nope'"),
    (["download", "x", "--parallel", "0"], "0 is not in the range 1<=x<=64"),
    (["run", "elevation", "-r", '{"type":"GeometryCollection","geometries":[1]}'],
     "every geometry must be an object"),
    (["run", "elevation", "-r", '{"type":"Feature","geometry":"x"}'],
     "the geometry of the feature is not an object"),
    (["run", "elevation", "-r", "nan,1,2,3"], "not a finite number"),
    (["run", "elevation", "-r", str(GLASGOW), "-o", "resolution=0"],
     "option 'resolution' must be at least 10, got 0"),
    (["run", "elevation", "-r", str(GLASGOW), "-o", "resolution=1e-300"],
     "option 'resolution' must be at least 10"),
    (["run", "elevation", "-r", str(GLASGOW), "--repeat-every", "99999999999w"],
     "is too long a duration"),
    (["run", "elevation", "-r", str(GLASGOW), "-i", "bad"],
     "Invalid value for '--input': 'bad' is not NUMBER=FILE"),
    (["mock", "credits", "--set", "nan"], "credits must be a finite number"),
    (["mock", "credits", "--set", "inf"], "credits must be a finite number"),
    (["wait", "x", "--timeout", "nan"], "nan is not a finite number of seconds"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_exits_2_with_one_clear_line_and_creates_nothing(args, message, tmp_path):
    result = invoke(*args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert run_json("jobs") == []


def test_unknown_job_or_service_exits_2():
    result = invoke("status", "0000dead")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no job 0000dead on the mock platform"
    result = invoke("service", "zzz")
    assert result.exit_code == 2 and "no service 'zzz' on mock" in result.stderr


def test_bad_mock_setting_is_a_clear_config_error(monkeypatch):
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "fast")
    result = invoke("services")
    assert result.exit_code == 2
    assert "bad settings for backend mock: speed: Input should be a valid number" in result.stderr


def test_download_into_a_file_path_is_refused(tmp_path):
    job_id = run_json("run", "elevation", "-r", str(GLASGOW))["id"]
    target = tmp_path / "file"
    target.write_text("keep me")
    result = invoke("download", job_id, "--dir", str(target))
    assert result.exit_code == 2
    assert "Invalid value for '--dir'" in result.stderr and "is a file" in result.stderr
    assert target.read_text() == "keep me"


def test_the_installed_console_script_and_python_m(tmp_path):
    exe = shutil.which("eojobs", path=str(Path(sys.executable).parent))
    assert exe, "console script not installed"
    env = {**os.environ}
    done = subprocess.run([exe, "--json", "run", "elevation", "-r", str(GLASGOW), "-d",
                           str(tmp_path / "o")], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    assert (tmp_path / "o" / "elevation.tif").is_file()
    bad = subprocess.run([sys.executable, "-m", "eojobs", "run", "elevation", "-r", "1,2"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "error: no such region file: 1,2 (nor is it GeoJSON, WKT, WKB or W,S,E,N)")


def test_wait_on_several_jobs_reports_each_and_exits_1_if_one_failed():
    ok = run_json("run", "elevation", "-r", str(GLASGOW), "--no-wait")["id"]
    bad = run_json("run", "failing", "-r", str(GLASGOW), "--no-wait")["id"]
    result = invoke("--json", "wait", ok, bad)
    assert result.exit_code == 1
    assert [j["status"] for j in json.loads(result.stdout)] == ["succeeded", "failed"]
    assert f"1 of 2 jobs did not succeed: {bad} (failed)" in result.stderr
    assert invoke("wait", ok, ok).exit_code == 0


def test_extra_inputs_are_checked_against_the_declared_type_before_anything_is_created(
        tmp_path):
    csv = tmp_path / "mask.csv"
    csv.write_text("a,b\n")
    fake = tmp_path / "mask.tif"
    fake.write_text("not a tiff")
    base = ["run", "vegetation", "-r", str(GLASGOW), "-o", "start_date=2024-01-01",
            "-o", "end_date=2024-02-01"]
    result = invoke(*base, "-i", f"2={csv}")
    assert result.exit_code == 2
    assert "input mask takes a GeoTIFF file (.tif, .tiff, .dem, .jp2), not mask.csv" in \
        result.stderr
    result = invoke(*base, "-i", f"2={fake}")
    assert result.exit_code == 2
    assert "mask.tif is not a TIFF file, whatever its name" in result.stderr
    assert run_json("jobs") == []


def test_keep_with_a_bad_date_names_the_argument():
    result = invoke("keep", "x", "notadate")
    assert result.exit_code == 2 and "Invalid value for 'UNTIL'" in result.stderr
