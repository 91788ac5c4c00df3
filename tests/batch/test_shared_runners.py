"""Two runner processes share one campaign through PostgreSQL: no row is run twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import eojobs
from eojobs.batch import Campaign
from tests.batch.conftest import feature_collection

ROWS = 30


def runner(regions: Path, folder: Path, db: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "eojobs", "-q", "batch", "run", "elevation", "--regions",
         str(regions), "--dir", str(folder), "--download", "--max-running", "3",
         "--max-downloads", "2"],
        env={**env, "EOJOBS_BATCH_DB": db}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_runners_on_one_postgres_campaign_run_each_row_once(pg_url, tmp_path, user_dir):
    regions = feature_collection(tmp_path / "fc.geojson", ROWS)
    env = {**os.environ, "EOJOBS_MOCK_SPEED": "60"}
    with Campaign.create(tmp_path / "first", "elevation", regions, db=pg_url) as campaign:
        name = campaign.info.name
    both = [runner(regions, tmp_path / folder, pg_url, env) for folder in ("first", "second")]
    for process in both:
        out, err = process.communicate(timeout=240)
        assert process.returncode == 0, err.decode()

    pointer = json.loads((tmp_path / "second" / "campaign.json").read_text())
    assert pointer["name"] == name
    with Campaign.open(tmp_path / "first", pg_url) as campaign:
        assert campaign.status()["done"] == ROWS
        keys = {row.key for row in campaign.rows()}
    # Each row's files are in the folder of the runner that ran it, and in one folder only.
    ran = {folder: {p.name for p in (tmp_path / folder).iterdir()
                    if p.is_dir() and p.name in keys} for folder in ("first", "second")}
    assert ran["first"].isdisjoint(ran["second"]) and ran["first"] | ran["second"] == keys
    assert ran["first"] and ran["second"], f"one runner did everything: {ran}"
    with eojobs.connect("mock") as conn:
        tagged = [job.name.split(" row ")[1].split(" ")[0] for job in conn.jobs()]
    assert sorted(tagged) == sorted(keys), "a row was submitted twice, or not at all"


def test_a_postgres_campaign_needs_its_url_and_writes_no_password(pg_url, tmp_path):
    regions = feature_collection(tmp_path / "fc.geojson", 2)
    # The test server trusts local connections, so it takes the URL whatever its password.
    secret = pg_url.replace("postgresql://postgres:@", "postgresql://postgres:hunter2@")
    with Campaign.create(tmp_path / "camp", "elevation", regions, db=secret) as campaign:
        assert campaign.status()["queued"] == 2
    text = (tmp_path / "camp" / "campaign.json").read_text()
    assert "hunter2" not in text and "REDACTED" in text
    with pytest.raises(eojobs.InputError, match=r"is in the database .*: give its URL "
                       r"\(db='postgresql://\.\.\.'\)") as info:
        Campaign.open(tmp_path / "camp")
    assert "hunter2" not in str(info.value)
    with Campaign.open(tmp_path / "camp", pg_url) as campaign:
        assert campaign.status()["queued"] == 2
