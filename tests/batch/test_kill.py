"""kill -9 at random moments, rerun until done: every row done once, one job per row."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import eojobs
from eojobs.batch import Campaign
from tests.batch.conftest import check_downloads, feature_collection

ROWS = 30


def test_sigkill_at_random_points_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    regions = feature_collection(tmp_path / "fc.geojson", ROWS)
    command = [sys.executable, "-m", "eojobs", "-q", "batch", "run", "elevation", "--regions",
               str(regions), "--dir", str(tmp_path / "camp"), "--download", "--max-running",
               "4", "--max-downloads", "2"]
    env = {**os.environ, "EOJOBS_MOCK_SPEED": "15"}
    chance = random.Random(14)
    kills = 0
    for _ in range(40):
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        if kills < 15:
            time.sleep(chance.uniform(0.2, 0.8))
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
                kills += 1
        _, err = child.communicate(timeout=120)
        if child.returncode == 0:
            break
        assert child.returncode == -signal.SIGKILL, err.decode()
    else:
        raise AssertionError("the campaign did not finish in 40 runs")
    assert kills >= 5, f"only {kills} kills: the campaign ended too fast to test much"
    with eojobs.connect("mock") as conn, Campaign.open(tmp_path / "camp") as campaign:
        assert campaign.status()["done"] == ROWS
        keys = [job.name.split(" row ")[1].split(" ")[0] for job in conn.jobs()]
        assert sorted(keys) == sorted(r.key for r in campaign.rows())
        check_downloads(campaign, conn)
