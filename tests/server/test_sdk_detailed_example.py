"""The official SDK guide's detailed example, unmodified, against `eojobs mock serve`.

The example (the SDK's ``detailed_example.py``, the guide's section 10) runs in a
child process with runpy, as the quick example does. Around it, and nothing in
it: ``fusion_platform.login`` gets the server's ``api_url``, the SDK's poll
period is lowered, matplotlib draws off-screen, and ``pyplot.bar`` records what
the example charts, so the test can check the histogram it builds.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys

import numpy as np
import rasterio

from eojobs_mock.engine.catalogue import AGGREGATOR, GUIDE_COMPONENT, GUIDE_SERVICE
from tests.conftest import DATA

LAKE_DISTRICT = DATA / "lake_district.geojson"

DRIVER = """
import json, os, runpy
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as pyplot
import fusion_platform
from fusion_platform.session import Session

Session.API_UPDATE_WAIT_PERIOD_DEFAULT = 0.05
_login = fusion_platform.login
_bar = pyplot.bar

def login(*args, **kwargs):
    kwargs.setdefault("api_url", {url!r})
    return _login(*args, **kwargs)

def bar(x, y, *args, **kwargs):
    with open("bar.json", "w") as out:
        json.dump({{"x": list(x), "y": [int(v) for v in y]}}, out)
    return _bar(x, y, *args, **kwargs)

fusion_platform.login = login
pyplot.bar = bar
example = os.path.join(os.path.dirname(fusion_platform.__file__), "detailed_example.py")
runpy.run_path(example, run_name="__main__")
"""


def run_example(url: str, work) -> subprocess.CompletedProcess[str]:
    work.mkdir()
    return subprocess.run([sys.executable, "-c", DRIVER.format(url=url)], cwd=work,
                          capture_output=True, text=True, timeout=300)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_guide_service_carries_its_real_names(api):
    service = api.service(GUIDE_SERVICE)
    assert service["name"] == "Demo: Sentinel-2 Cloud Classification"
    options = {o["name"]: o for o in api.template(GUIDE_SERVICE)["model"]["options"]}
    assert {"latest_date", "start_date", "end_date"} <= set(options)
    assert options["latest_date"]["data_type"] == "boolean"
    assert GUIDE_COMPONENT == "Sentinel-2 Cloud Classification"
    assert AGGREGATOR == "Statistics Aggregator"


def test_the_detailed_example_runs_end_to_end_over_the_lake_district(mock_server, tmp_path,
                                                                     conn):
    work = tmp_path / "example"
    done = run_example(mock_server.url, work)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Price: ")
    rasters = sorted(p.name for p in work.glob("*_cloud_classification.tif"))
    slices = len(rasters)
    assert slices > 1, "the Lake District is run as a group of executions"
    assert rasters == [f"{i}_cloud_classification.tif" for i in range(slices)]
    assert sum(line.startswith("Downloading output from ") for line in lines) == slices
    assert sum(line.startswith("Downloading statistics from ") for line in lines) == 1
    assert conn.jobs() == [], "the example deletes its process"

    with (work / "statistics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["slice"] for r in rows] == [str(i) for i in range(1, slices + 1)] + ["total"]

    with rasterio.open(work / "mosaic.tif") as mosaic:
        assert mosaic.crs.to_epsg() == 4326
        classes = mosaic.read(1, masked=True).compressed()
    assert set(np.unique(classes)) == {1, 2, 3, 4}

    chart = json.loads((work / "bar.json").read_text())
    assert chart["x"] == ["Ground", "Shadow", "Thick Cloud", "Thin Cloud"]
    pixels = sum(int(r["pixels"]) for r in rows[:-1])
    assert all(count > 0 for count in chart["y"])
    assert sum(chart["y"]) == pixels, "every classified pixel falls in one of the four bins"

    # The files are the very ones the in-process mock produces for the same job.
    same = conn.create_job(GUIDE_SERVICE, LAKE_DISTRICT, options={
        "latest_date": False, "start_date": "2021-03-27T00:00:00Z", "end_date": None,
    }).start_and_wait(progress=False)
    assets = same.results().assets
    tifs = [a for a in assets if a.name.endswith(".tif")]
    csvs = [a for a in assets if a.name == "statistics.csv" and a.component == AGGREGATOR]
    assert len(csvs) == 1
    assert digest(work / "statistics.csv") == csvs[0].checksum
    downloaded = {digest(p) for p in work.glob("*_cloud_classification.tif")}
    assert downloaded == {a.checksum for a in tifs}
