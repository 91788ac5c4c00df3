"""Campaigns on the in-process mock: downloads, resume, add, retries, credits, stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import eojobs
from eojobs.batch import Campaign, NewRow
from eojobs.batch.runner import Runner, RunSettings
from eojobs.errors import InputError
from tests.batch.conftest import check_downloads, feature_collection, snapshot, square


def test_a_campaign_downloads_every_row_once(tmp_path: Path, conn: eojobs.Connection) -> None:
    regions = feature_collection(tmp_path / "fc.geojson", 12)
    campaign = Campaign.create(tmp_path / "camp", "elevation", regions,
                               options={"resolution": 30})
    assert campaign.run(download=True, progress=False, max_running=5) is None
    assert campaign.status()["done"] == 12
    check_downloads(campaign, conn)
    names = [j.name for j in conn.jobs()]
    assert len(names) == 12
    assert all(f"[batch {campaign.info.id} row f{i:03d} try 1]" in " ".join(names)
               for i in range(12))
    summary = json.loads((tmp_path / "camp" / "summary.json").read_text())
    assert summary["counts"]["done"] == 12 and summary["failed"] == []
    # A second run finds nothing to do and submits nothing.
    assert campaign.run(download=True, progress=False) is None
    assert len(conn.jobs()) == 12


def test_rows_added_to_a_finished_campaign_run_next(tmp_path: Path,
                                                    conn: eojobs.Connection) -> None:
    campaign = Campaign.create(tmp_path / "camp", "Elevation",
                               feature_collection(tmp_path / "a.geojson", 3))
    campaign.run(progress=False)
    assert campaign.add(feature_collection(tmp_path / "b.geojson", 2, start=3)) == 2
    assert campaign.status()["queued"] == 2
    campaign.run(progress=False, download=True)
    assert campaign.status()["done"] == 5
    assert len(conn.jobs()) == 5


def test_reopening_goes_on_with_new_rows_only(tmp_path: Path, conn: eojobs.Connection) -> None:
    first = Campaign.create_or_open(tmp_path / "camp", "Elevation",
                                    feature_collection(tmp_path / "a.geojson", 3))
    first.run(progress=False)
    first.close()
    again = Campaign.create_or_open(tmp_path / "camp", "Elevation",
                                    feature_collection(tmp_path / "a.geojson", 4))
    assert again.status()["queued"] == 1
    again.run(progress=False)
    assert again.status()["done"] == 4 and len(conn.jobs()) == 4


def test_a_failing_job_is_retried_within_its_budget(tmp_path: Path,
                                                    conn: eojobs.Connection) -> None:
    campaign = Campaign.create(tmp_path / "camp", "Failing Demo",
                               [NewRow("a", square(0)), NewRow("b", square(1))])
    campaign.run(progress=False, retries=1)
    rows = campaign.rows()
    assert [r.state for r in rows] == ["failed", "failed"]
    assert all(r.attempts == 2 for r in rows)
    assert "out of memory in the demo processor (after 2 tries)" in rows[0].error
    assert len(conn.jobs()) == 4
    summary = campaign.summary()
    assert [f["key"] for f in summary["failed"]] == ["a", "b"]
    assert campaign.retry(failed_only=True) == 2
    assert campaign.status()["queued"] == 2 and campaign.rows()[0].attempts == 0


def test_running_out_of_credits_pauses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EOJOBS_MOCK_INITIAL_CREDITS", "2")
    campaign = Campaign.create(tmp_path / "camp", "Elevation",
                               [NewRow(f"r{i}", square(i, 0.05)) for i in range(6)])
    paused = campaign.run(progress=False)
    assert paused is not None and "credits" in paused and "run the campaign again" in paused
    counts = campaign.status()
    assert counts["failed"] == 0 and counts["done"] < 6
    assert counts["done"] + counts["queued"] + counts["submitted"] == 6
    assert campaign.summary()["paused"] == paused


def test_stop_stops_the_jobs_it_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        conn: eojobs.Connection) -> None:
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "0.001")
    campaign = Campaign.create(tmp_path / "camp", "Elevation",
                               [NewRow(f"r{i}", square(i)) for i in range(3)])
    worker = Runner(campaign, RunSettings(progress=False))
    worker._round("mock")  # one round submits and starts every row
    worker._shutdown(None)
    assert campaign.status()["submitted"] == 3
    assert campaign.stop() == 3
    assert campaign.status()["stopped"] == 3
    assert {j.status.value for j in conn.jobs()} == {"stopped"}
    assert campaign.run(progress=False) is None  # stopped rows wait for a retry
    assert campaign.retry() == 3


def test_a_folder_of_another_campaign_is_refused(tmp_path: Path) -> None:
    Campaign.create(tmp_path / "camp", "Elevation",
                    feature_collection(tmp_path / "a.geojson", 2)).close()
    before = snapshot(tmp_path / "camp")
    with pytest.raises(InputError, match="holds a campaign of 'Elevation' on mock, not of "
                                         "'Statistics Aggregator'"):
        Campaign.create_or_open(tmp_path / "camp", "Statistics Aggregator",
                                tmp_path / "a.geojson")
    with pytest.raises(InputError, match="already holds a campaign"):
        Campaign.create(tmp_path / "camp", "Elevation", tmp_path / "a.geojson")
    assert snapshot(tmp_path / "camp") == before
