"""`eojobs batch` in-process: what each command prints, its exit code, and what it changes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import eojobs
from eojobs.batch import Campaign
from tests.batch.conftest import feature_collection, running, snapshot
from tests.cli.conftest import Runner

#: The mock clock for tests that act while jobs run: a job takes about 1.5 s.
SLOW = "2"


@pytest.fixture
def eojobs_cli() -> Runner:
    """``eojobs`` run in-process."""
    return Runner()


def table_of(counts: dict[str, int]) -> list[str]:
    """The lines of ``batch status``'s table for ``counts`` (every state, in order)."""
    states = ["queued", "submitting", "submitted", "downloading", "done", "failed", "stopped"]
    return ["STATE        ROWS", *(f"{s.ljust(11)}  {counts.get(s, 0)}" for s in states)]


def job_ids(campaign_dir: Path) -> list[str]:
    with Campaign.open(campaign_dir) as campaign:
        return [r.job_id or "-" for r in campaign.rows()]


def test_run_reports_counts_and_status_shows_them(eojobs_cli: Runner, tmp_path: Path) -> None:
    regions = feature_collection(tmp_path / "fc.geojson", 3)
    camp = tmp_path / "camp"
    result = eojobs_cli("batch", "run", "elevation", "--regions", str(regions), "--dir",
                        str(camp), "-o", "resolution=60")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Elevation: 3 done\n"
    assert result.stderr == ""
    result = eojobs_cli("batch", "status", str(camp))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["Elevation: Elevation on mock",
                                          *table_of({"done": 3})]
    result = eojobs_cli("batch", "status", str(camp), "--rows")
    ids = job_ids(camp)
    assert result.stdout.splitlines()[9:] == [
        "", f"KEY   STATE  ATTEMPTS  JOB{' ' * 35}ERROR",
        *(f"f{i:03d}  done   1         {ids[i]}  -" for i in range(3))]
    data = eojobs_cli.json("batch", "status", str(camp), "--rows")
    with Campaign.open(camp) as campaign:
        assert data == {"campaign": campaign.info.id, "name": "Elevation",
                        "service": "Elevation", "backend": "mock",
                        "paused": None, "counts": campaign.status(),
                        "rows": [r.as_dict() for r in campaign.rows()]}
    assert data["counts"]["done"] == 3 and [r["key"] for r in data["rows"]] == [
        "f000", "f001", "f002"]
    assert "rows" not in eojobs_cli.json("batch", "status", str(camp))


def test_run_with_download_says_where_the_files_are_unless_quiet(
        eojobs_cli: Runner, tmp_path: Path) -> None:
    regions = feature_collection(tmp_path / "fc.geojson", 2)
    camp = tmp_path / "camp"
    args = ["batch", "run", "elevation", "-r", str(regions), "-d", str(camp), "--download"]
    result = eojobs_cli(*args)
    assert (result.exit_code, result.stdout) == (0, "Elevation: 2 done\n")
    assert result.stderr == (f"files are in {camp}/<row key>/; summary in "
                             f"{camp}/summary.json\n")
    assert all((camp / key / ".eojobs" / "manifest.json").is_file() for key in ("f000", "f001"))
    result = eojobs_cli("-q", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "Elevation: 2 done\n", "")


def test_failed_rows_are_listed_with_their_reason_and_exit_1(
        eojobs_cli: Runner, tmp_path: Path) -> None:
    regions = feature_collection(tmp_path / "fc.geojson", 2)
    camp = tmp_path / "camp"
    result = eojobs_cli("batch", "run", "Failing Demo", "-r", str(regions), "-d", str(camp),
                        "--retries", "1")
    assert result.exit_code == 1
    reason = "simulated failure: out of memory in the demo processor (after 2 tries)"
    assert result.stdout == (f"Failing Demo: 2 failed\nfailed: f000: {reason}\n"
                             f"failed: f001: {reason}\n")
    assert result.stderr == ""
    result = eojobs_cli("--json", "batch", "run", "Failing Demo", "-r", str(regions), "-d",
                        str(camp))
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary == json.loads((camp / "summary.json").read_text())
    assert summary["counts"]["failed"] == 2 and summary["done"] == []
    assert summary["failed"] == [{"key": "f000", "error": reason, "attempts": 2},
                                 {"key": "f001", "error": reason, "attempts": 2}]


def test_running_out_of_credits_pauses_with_a_message_and_exit_1(
        eojobs_cli: Runner, tmp_path: Path) -> None:
    regions = feature_collection(tmp_path / "fc.geojson", 2)
    camp = tmp_path / "camp"
    assert eojobs_cli("mock", "credits", "--set", "0").exit_code == 0
    result = eojobs_cli("batch", "run", "elevation", "-r", str(regions), "-d", str(camp))
    assert result.exit_code == 1
    assert result.stdout == "Elevation: 2 submitted\n"
    message = (r"paused: job [0-9a-f-]{36} costs [0-9.]+ credits but the account has 0; add "
               r"credits with `eojobs mock credits --set N`; jobs already running on mock go on, "
               r"and jobs created but not started wait\. Add credits, then run the campaign "
               r"again to start them and go on")
    assert re.fullmatch(f"error: {message}\n", result.stderr), result.stderr
    status = eojobs_cli("batch", "status", str(camp))
    assert re.fullmatch(rf"Elevation: Elevation on mock \({message}\)",
                        status.stdout.splitlines()[0])
    assert eojobs_cli.json("batch", "status", str(camp))["paused"].startswith("paused: job ")
    # With credits again, the same command goes on with the jobs it made: none is made twice.
    assert eojobs_cli("mock", "credits", "--set", "1000").exit_code == 0
    result = eojobs_cli("batch", "run", "elevation", "-r", str(regions), "-d", str(camp))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "Elevation: 2 done\n", "")
    assert eojobs_cli.json("batch", "status", str(camp))["paused"] is None
    with eojobs.connect("mock") as conn:
        assert len(conn.jobs()) == 2


def test_add_queues_new_rows_that_the_next_run_picks_up(eojobs_cli: Runner,
                                                        tmp_path: Path) -> None:
    camp = tmp_path / "camp"
    assert eojobs_cli("batch", "run", "elevation", "-r",
                      str(feature_collection(tmp_path / "a.geojson", 2)),
                      "-d", str(camp)).exit_code == 0
    result = eojobs_cli("batch", "add", str(camp), "--regions",
                        str(feature_collection(tmp_path / "b.geojson", 1, start=2)))
    assert (result.exit_code, result.stdout) == (0, "added 1 row\n")
    assert eojobs_cli.json("batch", "add", str(camp), "--regions",
                           str(feature_collection(tmp_path / "c.geojson", 2, start=3))
                           ) == {"added": 2}
    assert eojobs_cli.json("batch", "status", str(camp))["counts"] == {
        "queued": 3, "submitting": 0, "submitted": 0, "downloading": 0, "done": 2,
        "failed": 0, "stopped": 0}
    result = eojobs_cli("batch", "run", "elevation", "-r", str(tmp_path / "a.geojson"),
                        "-d", str(camp))
    assert (result.exit_code, result.stdout) == (0, "Elevation: 5 done\n")
    with eojobs.connect("mock") as conn:
        assert len(conn.jobs()) == 5


def test_add_refuses_keys_already_there_and_adds_nothing(eojobs_cli: Runner,
                                                         tmp_path: Path) -> None:
    camp = tmp_path / "camp"
    assert eojobs_cli("batch", "run", "elevation", "-r",
                      str(feature_collection(tmp_path / "a.geojson", 3)),
                      "-d", str(camp)).exit_code == 0
    before = snapshot(camp)
    result = eojobs_cli("batch", "add", str(camp), "-r",
                        str(feature_collection(tmp_path / "b.geojson", 4, start=1)))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("error: 2 row key(s) are already in the campaign: f001, f002; "
                             "give the new rows other keys\n")
    assert snapshot(camp) == before


def test_a_running_campaign_picks_up_rows_added_meanwhile(
        eojobs_cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    camp = tmp_path / "camp"
    Campaign.create(camp, "Elevation", feature_collection(tmp_path / "a.geojson", 2)).close()
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", SLOW)
    with running(camp, lambda counts: counts["submitted"] == 2) as outcome:
        result = eojobs_cli("batch", "add", str(camp), "-r",
                            str(feature_collection(tmp_path / "b.geojson", 2, start=2)))
        assert (result.exit_code, result.stdout) == (0, "added 2 rows\n")
        with Campaign.open(camp) as campaign:
            assert campaign.status()["done"] < 4, "the run ended before the rows were added"
    assert outcome == {"paused": None}
    assert eojobs_cli.json("batch", "status", str(camp))["counts"]["done"] == 4


def test_stop_stops_the_jobs_of_a_running_campaign(
        eojobs_cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    camp = tmp_path / "camp"
    Campaign.create(camp, "Elevation", feature_collection(tmp_path / "a.geojson", 3)).close()
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "0.01")
    with running(camp, lambda counts: counts["submitted"] == 3) as outcome:
        result = eojobs_cli("batch", "stop", str(camp))
        assert (result.exit_code, result.stdout, result.stderr) == (0, "stopped 3 jobs\n", "")
    assert outcome == {"paused": None}
    assert eojobs_cli.json("batch", "status", str(camp))["counts"]["stopped"] == 3
    with eojobs.connect("mock") as conn:
        assert [j.status.value for j in conn.jobs()] == ["stopped"] * 3
    assert eojobs_cli.json("batch", "stop", str(camp)) == {"stopped": 0}


def test_retry_queues_failed_rows_and_without_failed_stopped_ones(
        eojobs_cli: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    camp = tmp_path / "camp"
    run = ["batch", "run", "Failing Demo", "-r",
           str(feature_collection(tmp_path / "a.geojson", 2)), "-d", str(camp), "--retries", "0"]
    assert eojobs_cli(*run).exit_code == 1
    result = eojobs_cli("batch", "retry", str(camp), "--failed")
    assert (result.exit_code, result.stdout) == (0, "queued 2 rows again\n")
    assert eojobs_cli.json("batch", "status", str(camp))["counts"]["queued"] == 2
    rows = eojobs_cli.json("batch", "status", str(camp), "--rows")["rows"]
    assert [(r["state"], r["attempts"], r["job_id"]) for r in rows] == [("queued", 0, None)] * 2
    # Stop the rows' new jobs, then fail one more row: retry --failed leaves stopped rows be.
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "0.01")
    with running(camp, lambda counts: counts["submitted"] == 2):
        assert eojobs_cli("batch", "stop", str(camp)).stdout == "stopped 2 jobs\n"
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "100000")
    assert eojobs_cli("batch", "add", str(camp), "-r",
                      str(feature_collection(tmp_path / "b.geojson", 1, start=2))).exit_code == 0
    assert eojobs_cli(*run).exit_code == 1
    counts = eojobs_cli.json("batch", "status", str(camp))["counts"]
    assert (counts["stopped"], counts["failed"]) == (2, 1)
    assert eojobs_cli.json("batch", "retry", str(camp), "--failed") == {"requeued": 1}
    result = eojobs_cli("batch", "retry", str(camp))
    assert (result.exit_code, result.stdout) == (0, "queued 2 rows again\n")
    counts = eojobs_cli.json("batch", "status", str(camp))["counts"]
    assert (counts["queued"], counts["stopped"], counts["failed"]) == (3, 0, 0)
    assert json.loads((camp / "summary.json").read_text())["counts"]["queued"] == 3
