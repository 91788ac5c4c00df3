"""The local backend passes eojobs' conformance kit; and its two services compute right."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import eojobs
from eojobs.testing import Conformance, Subject

#: A box of about 7 km by 11 km over Glasgow, west, south, east, north.
GLASGOW = (-4.3, 55.8, -4.2, 55.9)


@pytest.fixture
def conn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[eojobs.Connection]:
    """A connection to the local backend, its jobs in a folder of the test's own."""
    monkeypatch.setenv("EOJOBS_HOME", str(tmp_path / "home"))  # no user config here
    with eojobs.connect("local", folder=str(tmp_path / "jobs")) as connection:
        yield connection


@pytest.fixture
def eojobs_subject(conn: eojobs.Connection) -> Subject:
    """What the kit runs against: jobs of the "area" service over Glasgow."""
    return Subject(conn, region=GLASGOW, service="area", timeout=10)


class TestConformance(Conformance):
    """Every check of the kit, on this backend."""


def test_area_is_written_as_csv(conn: eojobs.Connection, tmp_path: Path) -> None:
    """The "area" service writes the region's area in km² to area.csv."""
    job = conn.create_job("area", GLASGOW).start_and_wait(progress=False)
    job.results().download(tmp_path / "out", progress=False)
    with open(tmp_path / "out" / "area.csv", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert float(row["area_km2"]) == pytest.approx(eojobs.Region.parse(GLASGOW).area_km2)


def test_bbox_is_written_as_geojson(conn: eojobs.Connection, tmp_path: Path) -> None:
    """The "bbox" service writes the region's bounding box to bbox.geojson."""
    job = conn.create_job("bounding box", GLASGOW).start_and_wait(progress=False)
    job.results().download(tmp_path / "out", progress=False)
    feature = json.loads((tmp_path / "out" / "bbox.geojson").read_text())
    assert eojobs.Region.parse(feature).bounds == pytest.approx(GLASGOW)
