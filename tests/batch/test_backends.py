"""One campaign spread over several backends: each row runs, and is checked, on its own."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import eojobs
from eojobs.batch import Campaign, NewRow
from eojobs.batch.runner import Runner, RunSettings
from eojobs.errors import InputError
from eojobs.models import Service
from eojobs_mock.backend import MockBackend
from tests.batch.conftest import feature_collection, running, snapshot, square
from tests.cli.conftest import Runner as Cli
from tests.conftest import FAST, registered

DEFAULTS = {"resolution": 30, "dem_source": "COPERNICUS", "fill_voids": True}
#: What coarse says of a resolution of 30.
TOO_FINE = "option 'resolution' must be at least 100, got 30"


class CoarseBackend(MockBackend):
    """The mock platform behind a catalogue of its own: Elevation only, at 100 m or coarser."""

    name = "coarse"

    def list_services(self, search: str | None = None) -> list[Service]:
        """Elevation, its resolution at least 100."""
        return [dataclasses.replace(s, options=[
            dataclasses.replace(o, minimum=100) if o.name == "resolution" else o
            for o in s.options]) for s in super().list_services(search) if s.name == "Elevation"]


@pytest.fixture
def coarse(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The coarse backend registered, its clock as fast as the mock's."""
    monkeypatch.setenv("EOJOBS_COARSE_SPEED", FAST)
    with registered(CoarseBackend):
        yield


def jobs_of(backend: str) -> dict[str, dict[str, Any]]:
    """The options of each job on ``backend``, by the key of the row it ran."""
    with eojobs.connect(backend) as conn:
        return {job.name.split(" row ")[1].split(" ")[0]: conn.backend.get_job(job.id).options
                for job in conn.jobs()}


def test_a_csv_spreads_rows_over_mock_and_fusion(tmp_path: Path, fusion_apart: Any) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("key,bbox,backend,resolution\n"
                    'm1,"-4.30,55.80,-4.29,55.81",,60\n'
                    'f1,"-4.28,55.80,-4.27,55.81",fusion,90\n'
                    'm2,"-4.26,55.80,-4.25,55.81",mock,\n'
                    'f2,"-4.24,55.80,-4.23,55.81",fusion,\n')
    camp = tmp_path / "camp"
    result = Cli()("batch", "run", "elevation", "-r", str(path), "-d", str(camp),
                   "-o", "fill_voids=false", "--poll-interval", "0.05", "--download")
    assert (result.exit_code, result.stdout) == (0, "Elevation: 4 done\n"), result.output
    rows = Cli().json("batch", "status", str(camp), "--rows")["rows"]
    assert [(r["key"], r["backend"], r["state"]) for r in rows] == [
        ("m1", None, "done"), ("f1", "fusion", "done"), ("m2", "mock", "done"),
        ("f2", "fusion", "done")]
    mine = {**DEFAULTS, "fill_voids": False}
    assert jobs_of("mock") == {"m1": {**mine, "resolution": 60}, "m2": mine}
    assert jobs_of("fusion") == {"f1": {**mine, "resolution": 90}, "f2": mine}
    for key in ("m1", "f1", "m2", "f2"):
        manifest = json.loads((camp / key / ".eojobs" / "manifest.json").read_text())
        assert manifest and all(e["job"] == rows[[r["key"] for r in rows].index(key)]["job_id"]
                                for e in manifest.values())


def test_the_cap_on_running_jobs_is_per_backend(tmp_path: Path, fusion_apart: Any) -> None:
    rows = [NewRow(f"{b[0]}{i}", square(i), backend=b) for b in ("mock", "fusion")
            for i in range(3)]
    campaign = Campaign.create(tmp_path / "camp", "Elevation", rows)
    worker = Runner(campaign, RunSettings(progress=False, max_running=2))
    try:
        assert worker._round("mock") == 2
        assert worker._round("fusion") == 2
    finally:
        worker._shutdown(None)
    submitted = [(r.key, r.backend) for r in campaign.rows(states=["submitted"])]
    assert submitted == [("m0", "mock"), ("m1", "mock"), ("f0", "fusion"), ("f1", "fusion")]
    assert (len(jobs_of("mock")), len(jobs_of("fusion"))) == (2, 2)
    campaign.close()


def test_a_backends_round_downloads_only_its_own_rows(tmp_path: Path,
                                                      fusion_apart: Any) -> None:
    campaign = Campaign.create(tmp_path / "camp", "Elevation",
                               [NewRow("m", square(0)), NewRow("f", square(1), backend="fusion")])
    worker = Runner(campaign, RunSettings(progress=False, download=True))
    try:
        assert (worker._round("mock"), worker._round("fusion")) == (1, 1)  # submitted
        for row in campaign.rows():
            assert row.job_id is not None
            worker.connection(row.backend or "mock").job(row.job_id).wait(timeout=30)
        # Each round starts its own row's download, through its own backend, not the other's.
        worker._round("mock")
        worker._round("fusion")
        assert sorted(worker._downloads) == ["fusion\0f", "mock\0m"]
    finally:
        worker._shutdown(None)
    assert [(r.key, r.state) for r in campaign.rows()] == [("m", "done"), ("f", "done")]
    assert worker._row_errors == {}
    campaign.close()


def test_a_rows_options_are_checked_against_its_own_backends_service(
        tmp_path: Path, coarse: None) -> None:
    """coarse's Elevation takes resolutions of 100 and more; mock's, of 10 and more."""
    fine_on_coarse = [NewRow("m", square(0)), NewRow("c", square(1), {"resolution": 30},
                                                     backend="coarse")]
    with pytest.raises(InputError, match=f"row 'c': {TOO_FINE}"):
        Campaign.create(tmp_path / "camp", "Elevation", fine_on_coarse)
    assert not (tmp_path / "camp").exists()
    # A campaign on coarse takes a row of 30 m on mock, where its job runs.
    fine_on_mock = [NewRow("c", square(0), {"resolution": 100}),
                    NewRow("m", square(1), {"resolution": 30}, backend="mock")]
    campaign = Campaign.create(tmp_path / "camp", "Elevation", fine_on_mock, backend="coarse")
    before = snapshot(tmp_path / "camp")
    with pytest.raises(InputError, match=f"row 'c2': {TOO_FINE}"):
        campaign.add([NewRow("m2", square(2), {"resolution": 30}, backend="mock"),
                      NewRow("c2", square(3), {"resolution": 30})])
    assert snapshot(tmp_path / "camp") == before
    assert campaign.run(progress=False) is None
    assert [r.state for r in campaign.rows()] == ["done", "done"]
    assert {k: o["resolution"] for k, o in jobs_of("mock").items()} == {"c": 100, "m": 30}
    campaign.close()


def test_a_row_on_a_backend_without_the_service_is_refused(tmp_path: Path,
                                                           coarse: None) -> None:
    rows = [NewRow("m", square(0)), NewRow("c", square(1), backend="coarse")]
    with pytest.raises(InputError, match=r"row 'c': .*Failing Demo"):
        Campaign.create(tmp_path / "camp", "Failing Demo", rows)
    assert not (tmp_path / "camp").exists()


def test_rows_of_a_new_backend_added_to_a_running_campaign_run(
        tmp_path: Path, fusion_apart: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    camp = tmp_path / "camp"
    Campaign.create(camp, "Elevation", feature_collection(tmp_path / "a.geojson", 1)).close()
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "2")
    with running(camp, lambda counts: counts["submitted"] == 1) as outcome, \
            Campaign.open(camp) as campaign:
        assert campaign.add([NewRow("f", square(5), backend="fusion")]) == 1
        assert campaign.status()["done"] == 0, "the run ended before the row was added"
    assert outcome == {"paused": None}
    with Campaign.open(camp) as campaign:
        assert [(r.key, r.state) for r in campaign.rows()] == [("f000", "done"), ("f", "done")]
    assert list(jobs_of("fusion")) == ["f"]
