"""Rows read from the sources people bring: CSVs of WKT or bboxes, folders of region files.

Each test checks the rows (keys, regions, options) and that their jobs ran
with the row's region and options, as the mock platform recorded them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import box, shape

import eojobs
from eojobs.batch import Campaign
from eojobs.batch.sources import REGION_SUFFIXES
from eojobs.geo.sniff import SUFFIXES
from eojobs.region import Region
from tests.conftest import DATA
from tests.regions.samples import kml, kml_polygon, write_shapefile, zip_shapefile

#: The defaults of the mock's Elevation service, for the options a job was given.
DEFAULTS = {"resolution": 30, "dem_source": "COPERNICUS", "fill_voids": True}


def ran_with(conn: eojobs.Connection, campaign: Campaign) -> dict[str, dict[str, Any]]:
    """Each row's job's options, as the platform holds them; every row must be done."""
    found = {}
    for row in campaign.rows():
        assert row.state == "done", (row.key, row.state, row.error)
        assert row.job_id is not None
        found[row.key] = conn.backend.get_job(row.job_id).options
    return found


def same_shape(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two GeoJSON geometries cover the same ground."""
    return shape(a).symmetric_difference(shape(b)).area < 1e-12


def test_a_csv_of_wkt_with_option_columns_overrides_the_campaign_options(
        tmp_path: Path, conn: eojobs.Connection) -> None:
    shapes = {"north": box(-4.30, 55.82, -4.29, 55.83), "south": box(-4.30, 55.80, -4.29, 55.81),
              "east": box(-4.26, 55.80, -4.25, 55.81)}
    path = tmp_path / "tiles.csv"
    path.write_text(
        "name,WKT,resolution,fill_voids\n"
        f'north,"{shapes["north"].wkt}",60,\n'       # its own resolution; fill_voids not set
        f'south,"{shapes["south"].wkt}",,false\n'    # the campaign's resolution
        f'east,"{shapes["east"].wkt}", ,\n')         # a blank cell is not set either
    campaign = Campaign.create(tmp_path / "camp", "Elevation", path,
                               options={"resolution": "100", "dem_source": "SRTM"})
    rows = {r.key: r for r in campaign.rows()}
    assert list(rows) == ["north", "south", "east"]
    assert {k: r.options for k, r in rows.items()} == {
        "north": {"resolution": "60"}, "south": {"fill_voids": "false"}, "east": {}}
    assert all(same_shape(r.region, shapely.geometry.mapping(shapes[k]))
               for k, r in rows.items())
    assert all(r.backend is None for r in rows.values())
    assert campaign.run(progress=False) is None
    assert ran_with(conn, campaign) == {
        "north": {**DEFAULTS, "dem_source": "SRTM", "resolution": 60},
        "south": {**DEFAULTS, "dem_source": "SRTM", "resolution": 100, "fill_voids": False},
        "east": {**DEFAULTS, "dem_source": "SRTM", "resolution": 100},
    }
    for row in campaign.rows():
        assert row.job_id is not None
        assert same_shape(conn.backend.job_region(row.job_id), row.region)


def test_a_csv_of_bboxes_keys_rows_by_line(tmp_path: Path, conn: eojobs.Connection) -> None:
    path = tmp_path / "boxes.csv"
    path.write_text('bbox,resolution\n'
                    '"-4.30,55.80,-4.29,55.81",\n'
                    '-4.28 55.80 -4.27 55.81,250\n')  # spaces between the numbers do as well
    campaign = Campaign.create(tmp_path / "camp", "Elevation", path)
    rows = campaign.rows()
    assert [(r.key, r.options) for r in rows] == [("row-1", {}), ("row-2", {"resolution": "250"})]
    assert [Region.parse(r.region).bounds for r in rows] == [
        (-4.30, 55.80, -4.29, 55.81), (-4.28, 55.80, -4.27, 55.81)]
    assert campaign.run(progress=False) is None
    assert ran_with(conn, campaign) == {"row-1": DEFAULTS, "row-2": {**DEFAULTS,
                                                                     "resolution": 250}}


def test_a_folder_gives_one_row_per_region_file_keyed_by_its_stem(
        tmp_path: Path, conn: eojobs.Connection) -> None:
    folder = tmp_path / "regions"
    folder.mkdir()
    shutil.copy(DATA / "glasgow.geojson", folder)
    shutil.copy(DATA / "fields.kmz", folder)
    (folder / "loch.kml").write_text(kml([("loch", kml_polygon(box(-4.6, 56.0, -4.58, 56.02)))]))
    zip_shapefile(write_shapefile(tmp_path / "shp", "farm", [box(-3.2, 55.9, -3.19, 55.91)]),
                  folder / "farm.zip")
    write_shapefile(folder, "bare", [box(-3.0, 55.9, -2.99, 55.91)])  # .shp with its parts
    (folder / "tile.wkt").write_text(box(-4.3, 55.8, -4.29, 55.81).wkt)
    (folder / "notes.txt").write_text("not a region")
    campaign = Campaign.create(tmp_path / "camp", "Elevation", folder,
                               options={"resolution": "200"})
    rows = {r.key: r for r in campaign.rows()}
    assert list(rows) == ["bare", "farm", "fields", "glasgow", "loch", "tile"]
    sources = {"bare": folder / "bare.shp", "farm": folder / "farm.zip",
               "fields": folder / "fields.kmz", "glasgow": folder / "glasgow.geojson",
               "loch": folder / "loch.kml", "tile": folder / "tile.wkt"}
    for key, source in sources.items():
        assert same_shape(rows[key].region, Region.from_file(source).to_geojson()), key
        assert rows[key].options == {}
    assert shape(rows["fields"].region).geom_type == "MultiPolygon"  # both fields, one row
    assert campaign.run(progress=False) is None
    assert ran_with(conn, campaign) == dict.fromkeys(sources, {**DEFAULTS, "resolution": 200})


def test_a_folder_reads_every_kind_of_region_file() -> None:
    assert set(SUFFIXES) <= set(REGION_SUFFIXES)

