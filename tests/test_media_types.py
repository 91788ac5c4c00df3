"""Output media types are the same in-process and through mock serve with the Fusion backend.

The file type alone says only GeoTIFF; the file's STAC item says it is a
cloud-optimised GeoTIFF, and the Fusion backend keeps that.
"""

from __future__ import annotations

import pytest

import eojobs
from eojobs_fusion import mapping
from tests.conftest import GLASGOW

COG = "image/tiff; application=geotiff; profile=cloud-optimized"


def test_every_output_has_the_same_media_type_on_both_sides(mock_server, monkeypatch, conn):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    with eojobs.connect("fusion", email=mock_server.email,
                        password=mock_server.password) as fusion:
        job = fusion.create_job("Elevation", GLASGOW).start_and_wait(progress=False,
                                                                     poll_interval=0.05)
        there = {a.name: a.media_type for a in job.results().assets}
    here = {a.name: a.media_type for a in conn.job(job.id).results().assets}
    assert there == here
    assert there["elevation.tif"] == COG


def file_record(**fields) -> dict:
    return {"file_name": "elevation.tif", "file_type": "GeoTIFF", "data_id": "d",
            "file_id": "f", "size": 10, **fields}


def stac(assets) -> dict:
    return {"type": "Feature", "assets": assets}


@pytest.mark.parametrize(("record", "expected"), [
    (file_record(stac_item=stac({"x": {"href": "elevation.tif", "type": COG}})), COG),
    (file_record(stac_item=stac({"x": {"href": "s3://b/k/elevation.tif", "type": COG}})), COG),
    (file_record(), "image/tiff; application=geotiff"),
    (file_record(stac_item=None), "image/tiff; application=geotiff"),
    (file_record(stac_item="not an item"), "image/tiff; application=geotiff"),
    (file_record(stac_item={"assets": ["not", "a", "mapping"]}),
     "image/tiff; application=geotiff"),
    (file_record(stac_item=stac({"x": "not an asset"})), "image/tiff; application=geotiff"),
    (file_record(stac_item=stac({"x": {"href": "other.tif", "type": COG}})),
     "image/tiff; application=geotiff"),
    (file_record(stac_item=stac({"x": {"href": "elevation.tif"}})),
     "image/tiff; application=geotiff"),
    (file_record(stac_item=stac({"x": {"href": "elevation.tif", "type": ""}})),
     "image/tiff; application=geotiff"),
    (file_record(file_type="Mystery"), "application/octet-stream"),
], ids=["stac type", "stac href with a path", "no stac item", "null stac item",
        "stac item not an object", "assets not a mapping", "asset not an object",
        "asset of another file", "asset without a type", "asset with an empty type",
        "unknown file type"])
def test_the_media_type_comes_from_the_files_own_stac_asset_or_its_file_type(record, expected):
    assert mapping.asset(record, "e", "c").media_type == expected
