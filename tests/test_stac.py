"""STAC output: valid STAC 1.1.0 (checked offline against the schemas pystac ships),
one item per output, geometries wherever a file covers an area, ids without ``/``,
and each raster's PNG preview as its thumbnail."""

from __future__ import annotations

import json
from pathlib import Path

import pystac
import pystac.validation
import pytest
from shapely.geometry import shape

import eojobs
from tests.conftest import GLASGOW

BIG = (-4.0, 54.0, -3.0, 54.6)


def written(directory: Path) -> dict[str, dict]:
    """Every STAC document below ``directory`` by its path, each validated."""
    found = {}
    for path in sorted(directory.rglob("*.json")):
        if path.name == "collection.json" or path.name.endswith(".stac.json"):
            document = json.loads(path.read_text())
            pystac.validation.validate_dict(document)
            found[path.relative_to(directory).as_posix()] = document
    return found


def run_and_write(conn, service: str, region, directory: Path, download: bool = True):
    job = conn.create_job(service, region).start_and_wait(progress=False)
    result = job.results()
    if download:
        result.download(directory, progress=False)
    result.write_stac(directory)
    return job, result


def test_the_validator_works_offline_and_rejects_a_broken_item(conn, tmp_path):
    run_and_write(conn, "Elevation", GLASGOW, tmp_path)
    document = json.loads((tmp_path / "elevation.tif.stac.json").read_text())
    pystac.validation.validate_dict(document)
    del document["properties"]["datetime"]
    with pytest.raises(pystac.errors.STACValidationError):
        pystac.validation.validate_dict(document)


def test_one_valid_item_per_output_with_a_geometry_and_a_thumbnail(conn, tmp_path):
    job, result = run_and_write(conn, "Elevation", GLASGOW, tmp_path)
    documents = written(tmp_path)
    items = {k: v for k, v in documents.items() if k != "collection.json"}
    assert sorted(items) == sorted(f"{a.name}.stac.json" for a in result.assets)
    assert all("/" not in i["id"] and i["id"].startswith(job.id) for i in items.values())
    assert len({i["id"] for i in items.values()}) == len(items)
    assert all(i["geometry"] is not None for i in items.values())
    region = shape(job.region().to_geojson())
    footprint = shape(items["footprint.geojson.stac.json"]["geometry"])
    assert footprint.equals(region)
    assert shape(items["statistics.csv.stac.json"]["geometry"]).equals(region)
    tif = items["elevation.tif.stac.json"]
    assert tif["assets"]["thumbnail"] == {"href": "./elevation.png", "type": "image/png",
                                          "roles": ["thumbnail"]}
    assert (tmp_path / "elevation.png").is_file()
    assert tif["bbox"] == items["elevation.png.stac.json"]["bbox"]
    collection = documents["collection.json"]
    for link in collection["links"]:
        assert (tmp_path / link["href"]).is_file()


def test_a_group_has_per_slice_hrefs_that_resolve(conn, tmp_path):
    _, result = run_and_write(conn, "Elevation", BIG, tmp_path)
    items = {k: v for k, v in written(tmp_path).items() if k != "collection.json"}
    assert len(items) == len(result.assets)
    for name, entry in items.items():
        assert "/" not in entry["id"]
        folder = (tmp_path / name).parent
        assert (folder / entry["assets"]["data"]["href"]).is_file()
        if "thumbnail" in entry["assets"]:
            assert (folder / entry["assets"]["thumbnail"]["href"]).is_file()
    tifs = [v for k, v in items.items() if k.endswith(".tif.stac.json")]
    assert tifs and all("thumbnail" in t["assets"] for t in tifs)


def test_without_the_files_region_outputs_take_the_jobs_region(conn, tmp_path):
    job, _ = run_and_write(conn, "Elevation", GLASGOW, tmp_path, download=False)
    entry = json.loads((tmp_path / "footprint.geojson.stac.json").read_text())
    pystac.validation.validate_dict(entry)
    assert shape(entry["geometry"]).equals(shape(job.region().to_geojson()))


BROKEN = ["not json", "[1, 2]", '{"type": "FeatureCollection"}',
          '{"type": "FeatureCollection", "features": [null, 3]}',
          '{"type": "Feature", "geometry": {"type": "Nope"}}',
          '{"type": "Polygon", "coordinates": []}']


def test_an_unreadable_footprint_file_falls_back_to_the_jobs_region(conn, tmp_path):
    job, result = run_and_write(conn, "Elevation", GLASGOW, tmp_path)
    region = shape(job.region().to_geojson())
    for content in BROKEN:
        (tmp_path / "footprint.geojson").write_text(content)
        result.write_stac(tmp_path)
        entry = json.loads((tmp_path / "footprint.geojson.stac.json").read_text())
        pystac.validation.validate_dict(entry)
        assert shape(entry["geometry"]).equals(region), content


def test_items_over_fusion_are_valid_too(mock_server, monkeypatch, tmp_path):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    with eojobs.connect("fusion", email=mock_server.email,
                        password=mock_server.password) as fusion:
        job, _ = run_and_write(fusion, "Elevation", GLASGOW, tmp_path)
    items = {k: v for k, v in written(tmp_path).items() if k != "collection.json"}
    assert all(i["geometry"] is not None and "/" not in i["id"] for i in items.values())
    assert items["elevation.tif.stac.json"]["assets"]["thumbnail"]["href"] == "./elevation.png"
