"""A campaign through `eojobs mock serve` with 20% of requests failing still completes."""

from __future__ import annotations

from pathlib import Path

import pytest

import eojobs
from eojobs.batch import Campaign
from tests.batch.conftest import check_downloads, feature_collection
from tests.faults.conftest import faulty_server

#: Enough rows that every kind of request meets faults, few enough to stay quick.
ROWS = 10


@pytest.mark.parametrize("faults", ["", "api=0.2,blob=0.2,seed=7"])
def test_a_campaign_through_mock_serve_completes(tmp_path: Path, user_dir: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 faults: str) -> None:
    server = faulty_server(user_dir, faults or "api=0,seed=1")
    try:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        monkeypatch.setenv("EOJOBS_FUSION_EMAIL", server.email)
        monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", server.password)
        monkeypatch.setenv("EOJOBS_FUSION_BACKOFF", "0.01")
        campaign = Campaign.create(tmp_path / "camp", "Elevation",
                                   feature_collection(tmp_path / "fc.geojson", ROWS),
                                   backend="fusion")
        assert campaign.run(download=True, progress=False, poll_interval=0.05) is None
        assert campaign.status()["done"] == ROWS
        with eojobs.connect("fusion") as conn:
            check_downloads(campaign, conn)
            keys = [j.name.split(" row ")[1].split(" ")[0] for j in conn.jobs()]
        assert sorted(keys) == sorted(r.key for r in campaign.rows())
    finally:
        server.shutdown()
