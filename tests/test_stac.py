"""STAC output: valid STAC 1.1.0 with the standard File and Projection extensions
(checked offline against pystac's core schemas and the extension schemas vendored
in tests/schemas), one item per output, geometries wherever a file covers an area,
ids without ``/``, and each raster's PNG preview as its thumbnail."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pystac
import pytest
from shapely.geometry import shape

import eojobs
from eojobs import stac
from tests.conftest import GLASGOW
from tests.stac_validation import SCHEMAS, SchemaNotLocal, messages, validate, vendored

BIG = (-4.0, 54.0, -3.0, 54.6)


def written(directory: Path) -> dict[str, dict]:
    """Every STAC document below ``directory`` by its path, each validated."""
    found = {}
    for path in sorted(directory.rglob("*.json")):
        if path.name == "collection.json" or path.name.endswith(".stac.json"):
            document = json.loads(path.read_text())
            validate(document)
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
    validate(document)
    del document["properties"]["datetime"]
    with pytest.raises(pystac.errors.STACValidationError):
        validate(document)


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
    png = (tmp_path / "elevation.png").read_bytes()
    assert tif["assets"]["thumbnail"] == {
        "href": "./elevation.png", "type": "image/png", "roles": ["thumbnail"],
        "file:size": len(png), "file:checksum": "1220" + hashlib.sha256(png).hexdigest()}
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
    validate(entry)
    assert shape(entry["geometry"]).equals(shape(job.region().to_geojson()))


BOWTIES = json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[x, 0], [x + 1, 1], [x + 1, 0], [x, 1], [x, 0]]]}} for x in (0, 0.5)]})
BROKEN = [BOWTIES, "not json", "[1, 2]", '{"type": "FeatureCollection"}',
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
        validate(entry)
        assert shape(entry["geometry"]).equals(region), content


def test_items_over_fusion_are_valid_too(mock_server, monkeypatch, tmp_path):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    with eojobs.connect("fusion", email=mock_server.email,
                        password=mock_server.password) as fusion:
        job, _ = run_and_write(fusion, "Elevation", GLASGOW, tmp_path)
    items = {k: v for k, v in written(tmp_path).items() if k != "collection.json"}
    assert all(i["geometry"] is not None and "/" not in i["id"] for i in items.values())
    assert items["elevation.tif.stac.json"]["assets"]["thumbnail"]["href"] == "./elevation.png"


# --- The File and Projection extensions, validated against the vendored schemas ---

def elevation_item(conn, directory: Path) -> dict:
    run_and_write(conn, "Elevation", GLASGOW, directory)
    return json.loads((directory / "elevation.tif.stac.json").read_text())


def test_the_vendored_schemas_are_the_ones_the_items_name():
    schemas = vendored()
    assert sorted(schemas) == sorted([stac.FILE_EXTENSION, stac.PROJECTION_EXTENSION])
    for url, schema in schemas.items():
        contains = schema["definitions"]["stac_extensions"]["properties"]["stac_extensions"]
        assert contains["contains"] == {"const": url}
    for name in ("file", "projection"):
        licence = (SCHEMAS / name / "LICENSE").read_text()
        assert "Apache License" in licence and "Version 2.0, January 2004" in licence


def test_a_rasters_item_carries_standard_file_and_projection_fields(conn, tmp_path):
    item = elevation_item(conn, tmp_path)
    assert item["stac_extensions"] == [stac.FILE_EXTENSION, stac.PROJECTION_EXTENSION]
    checked = validate(item)
    assert stac.FILE_EXTENSION in checked and stac.PROJECTION_EXTENSION in checked
    data = item["assets"]["data"]
    content = (tmp_path / "elevation.tif").read_bytes()
    assert data["file:size"] == len(content)
    assert data["file:checksum"] == "1220" + hashlib.sha256(content).hexdigest()
    assert data["proj:code"] == "EPSG:4326"
    assert data["proj:bbox"] == item["bbox"]
    import tifffile

    with tifffile.TiffFile(tmp_path / "elevation.tif") as tif:
        assert data["proj:shape"] == list(tif.pages[0].shape[:2])
    png = (tmp_path / "elevation.png").read_bytes()
    thumbnail = item["assets"]["thumbnail"]
    assert thumbnail["file:size"] == len(png)
    assert thumbnail["file:checksum"] == "1220" + hashlib.sha256(png).hexdigest()
    assert not any(k.startswith("proj:") for k in thumbnail)
    assert not any(k.startswith(("eojobs:size", "eojobs:sha256", "eojobs:crs"))
                   for k in item["properties"])


def test_every_item_names_exactly_the_extensions_its_fields_use(conn, tmp_path):
    run_and_write(conn, "Elevation", BIG, tmp_path)
    prefixes = {"file": stac.FILE_EXTENSION, "proj": stac.PROJECTION_EXTENSION}
    for name, document in written(tmp_path).items():
        fields = [*document.get("properties", {}),
                  *(k for a in document.get("assets", {}).values() for k in a)]
        used = {prefixes[k.split(":")[0]] for k in fields if k.split(":")[0] in prefixes}
        assert set(document.get("stac_extensions", [])) == used, name
        if name.endswith(".csv.stac.json"):
            assert used == {stac.FILE_EXTENSION}, name


def broken(item: dict, where: str, key: str, value) -> dict:
    copy = json.loads(json.dumps(item))
    copy["assets"]["data"][key] = value
    assert copy != item, where
    return copy


@pytest.mark.parametrize(("key", "value", "message"), [
    ("file:size", "12", "'12' is not of type 'integer'"),
    ("file:size", -1, "-1 is less than the minimum of 0"),
    ("file:checksum", "sha256:ab12", "'sha256:ab12' does not match '^[a-f0-9]+$'"),
    ("file:checksum", 1220, "1220 is not of type 'string'"),
    ("file:sha256", "ab12", "'file:sha256' does not match any of the regexes: '^(?!file:)'"),
])
def test_the_file_extension_schema_rejects_a_malformed_field(conn, tmp_path, key, value,
                                                              message):
    item = broken(elevation_item(conn, tmp_path), "file", key, value)
    validate({**item, "stac_extensions": [stac.PROJECTION_EXTENSION]})  # core alone passes
    with pytest.raises(pystac.errors.STACValidationError) as caught:
        validate(item)
    assert f"invalid against {stac.FILE_EXTENSION}" in str(caught.value)
    assert message in messages(caught.value)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("proj:code", 4326, "4326 is not of type 'string', 'null'"),
    ("proj:shape", [10.5, 20], "10.5 is not of type 'integer'"),
    ("proj:bbox", [1, 2, 3], "[1, 2, 3] is not valid under any of the given schemas"),
    ("proj:epsg", 4326, "'proj:epsg' does not match any of the regexes: '^(?!proj:)'"),
])
def test_the_projection_extension_schema_rejects_a_malformed_field(conn, tmp_path, key, value,
                                                                    message):
    item = broken(elevation_item(conn, tmp_path), "projection", key, value)
    validate({**item, "stac_extensions": [stac.FILE_EXTENSION]})  # core and file pass
    with pytest.raises(pystac.errors.STACValidationError) as caught:
        validate(item)
    assert f"invalid against {stac.PROJECTION_EXTENSION}" in str(caught.value)
    assert message in messages(caught.value)


def test_a_schema_that_is_not_held_locally_fails_rather_than_downloads(conn, tmp_path):
    item = elevation_item(conn, tmp_path)
    eo = "https://stac-extensions.github.io/eo/v2.0.0/schema.json"
    with pytest.raises(SchemaNotLocal, match="eo/v2.0.0"):
        validate({**item, "stac_extensions": [*item["stac_extensions"], eo]})
    # proj:projjson refers to PROJJSON's schema by URL, which is not vendored.
    with pytest.raises(SchemaNotLocal, match="projjson"):
        validate(broken(item, "projection", "proj:projjson", {"type": "GeographicCRS"}))


@pytest.mark.parametrize(("crs", "code"), [
    ("EPSG:4326", "EPSG:4326"), ("epsg:32630", "EPSG:32630"), (27700, "EPSG:27700"),
    ("urn:ogc:def:crs:EPSG::3857", "EPSG:3857"), ("OGC:CRS84", "OGC:CRS84"),
    ("+proj=longlat +datum=WGS84", None), ("", None), (True, None), (None, None),
])
def test_a_crs_becomes_a_projection_code_only_when_it_is_one(crs, code):
    assert stac.crs_code(crs) == code


def test_a_backends_own_item_keeps_other_extensions_but_not_old_file_or_projection(conn,
                                                                                   tmp_path):
    job = conn.create_job("Elevation", GLASGOW).start_and_wait(progress=False)
    result = job.results()
    tif = next(a for a in result.assets if a.name == "elevation.tif")
    eo = "https://stac-extensions.github.io/eo/v1.1.0/schema.json"
    old = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
    tif = tif.model_copy(update={"stac_item": {
        "type": "Feature", "stac_version": "1.0.0", "id": "theirs",
        "stac_extensions": [eo, old, "https://stac-extensions.github.io/file/v1.0.0/schema.json"],
        "properties": {"eo:cloud_cover": 0, "proj:epsg": 4326, "title": "elevation.tif"},
        "assets": {"elevation.tif": {"href": "elevation.tif", "file:size": 1}}, "links": []}})
    entry = stac.item(result, tif)
    assert entry["stac_extensions"] == [eo, stac.FILE_EXTENSION, stac.PROJECTION_EXTENSION]
    assert entry["properties"]["eo:cloud_cover"] == 0
    assert entry["properties"]["title"] == "elevation.tif"
    assert "proj:epsg" not in entry["properties"]
    assert entry["assets"]["data"]["proj:code"] == "EPSG:4326"
    without_eo = {**entry, "stac_extensions": entry["stac_extensions"][1:]}
    assert validate(without_eo) == [
        "https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json",
        stac.FILE_EXTENSION, stac.PROJECTION_EXTENSION]


@pytest.mark.parametrize("bounds", ["1,2,3,4", [1, 2, 3], [[1], 2, 3, 4], ["a", 2, 3, 4],
                                    [1, 2, float("nan"), 4], [True, 2, 3, 4]])
def test_bounds_of_the_wrong_shape_are_dropped_by_backends_and_refused_by_assets(bounds):
    from eojobs.stac_fields import four_numbers

    assert four_numbers(bounds) is None
    if bounds[-1] == 4 and not isinstance(bounds, str) and len(bounds) == 4 \
            and all(isinstance(v, (int, float)) for v in bounds):
        return  # numbers Python takes as floats: only the backends' reader is stricter
    with pytest.raises(TypeError, match="Asset.bbox must be 4 numbers"):
        eojobs.Asset(name="a.tif", execution_id="e", href="x", bbox=bounds)


def test_an_asset_of_no_known_bounds_gives_no_geometry(conn, tmp_path):
    from eojobs.stac import item

    job, result = run_and_write(conn, "Elevation", GLASGOW, tmp_path)
    tif = next(a for a in result.assets if a.name == "elevation.tif")
    assert tif.bbox is not None and tif.crs == "EPSG:4326" and tif.preview == "elevation.png"
    entry = item(result, tif.model_copy(update={"bbox": None}), tmp_path)
    validate(entry)
    assert entry["geometry"] is None and "bbox" not in entry
    assert all("proj:bbox" not in asset for asset in entry["assets"].values())


def test_results_stac_is_a_valid_item_collection_pointing_at_the_downloaded_files(conn,
                                                                                   tmp_path):
    job, result = run_and_write(conn, "Elevation", GLASGOW, tmp_path / "out")
    remote = result.stac()
    assert remote["type"] == "FeatureCollection"
    assert len(remote["features"]) == len(result.assets)
    for item in remote["features"]:
        validate(item)
    hrefs = {i["assets"]["data"]["href"] for i in remote["features"]}
    assert hrefs == {a.href for a in result.assets}

    local = result.stac(tmp_path / "out")
    for item, asset in zip(local["features"], result.assets, strict=True):
        validate(item)
        path = Path(item["assets"]["data"]["href"])
        assert path.is_absolute()
        assert path.read_bytes() == (tmp_path / "out" / result.relative_path(asset)).read_bytes()
    tif = next(i for i in local["features"] if i["id"].endswith("elevation.tif"))
    assert Path(tif["assets"]["thumbnail"]["href"]).name == "elevation.png"


def test_results_stac_keeps_the_remote_href_of_a_file_changed_or_written_by_another_job(
        conn, tmp_path):
    job, result = run_and_write(conn, "Elevation", GLASGOW, tmp_path)
    (tmp_path / "elevation.tif").write_bytes(b"edited by hand")
    hrefs = {i["id"].removeprefix(f"{job.id}-"): i["assets"]["data"]["href"]
             for i in result.stac(tmp_path)["features"]}
    by_name = {a.name: a.href for a in result.assets}
    assert hrefs["elevation.tif"] == by_name["elevation.tif"]
    assert hrefs["elevation.png"] == str((tmp_path / "elevation.png").resolve())
    other = conn.create_job("Elevation", GLASGOW).start_and_wait(progress=False)
    assert all(i["assets"]["data"]["href"] in {a.href for a in other.results().assets}
               for i in other.results().stac(tmp_path)["features"])
