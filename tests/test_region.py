from __future__ import annotations

import json
import math

import pytest
import shapely
from shapely.geometry import box

from eojobs import Region, RegionError
from tests.conftest import GLASGOW


def test_glasgow_file_is_read_as_a_polygon_with_its_area_and_bounds():
    region = Region.from_file(GLASGOW)
    assert region.geometry.geom_type == "Polygon"
    w, s, e, n = region.bounds
    assert (round(w, 2), round(s, 2), round(e, 2), round(n, 2)) == (-4.48, 55.79, -4.08, 55.95)
    assert 220 < region.area_km2 < 235
    assert region.to_geojson()["type"] == "Polygon"
    assert region.vertex_count == 45
    assert Region.from_wkt(region.to_wkt()) == region


def test_area_of_one_degree_square_at_equator_matches_the_sphere():
    region = Region.from_bbox((0, 0, 1, 1))
    expected = (math.radians(1) * 6378.137) * (math.sin(math.radians(1)) * 6378.137)
    assert region.area_km2 == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "value",
    [
        (-4.3, 55.8, -4.2, 55.9),
        "-4.3,55.8,-4.2,55.9",
        "POLYGON ((-4.3 55.8, -4.2 55.8, -4.2 55.9, -4.3 55.9, -4.3 55.8))",
        box(-4.3, 55.8, -4.2, 55.9),
        {"type": "Polygon", "coordinates": [[[-4.3, 55.8], [-4.2, 55.8], [-4.2, 55.9],
                                             [-4.3, 55.9], [-4.3, 55.8]]]},
        json.dumps({"type": "Feature", "properties": {},
                    "geometry": shapely.geometry.mapping(box(-4.3, 55.8, -4.2, 55.9))}),
    ],
)
def test_every_accepted_form_gives_the_same_region(value):
    region = Region.parse(value)
    assert region.geometry.equals(box(-4.3, 55.8, -4.2, 55.9))


def test_geo_interface_objects_and_feature_collections_are_accepted():
    class Thing:
        __geo_interface__ = shapely.geometry.mapping(box(1, 1, 2, 2))

    assert Region.parse(Thing()).bounds == (1, 1, 2, 2)
    features = [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(b)}
                for b in (box(0, 0, 1, 1), box(2, 0, 3, 1))]
    collection = {"type": "FeatureCollection", "features": features}
    region = Region.from_geojson(collection)
    assert region.geometry.geom_type == "MultiPolygon"
    assert region.bounds == (0, 0, 3, 1)


def test_path_string_and_z_coordinates(tmp_path):
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 1, 5], [0, 0, 5]]]}))
    region = Region.parse(str(path))
    assert not shapely.has_z(region.geometry)


def test_split_keeps_the_area_and_respects_the_limit():
    region = Region.from_bbox((-4, 54, -2, 55.5))
    pieces = region.split(500)
    assert len(pieces) > 1
    assert all(p.area_km2 <= 500 for p in pieces)
    assert sum(p.area_km2 for p in pieces) == pytest.approx(region.area_km2, rel=1e-6)
    assert region.split(10**9) == [region]
    with pytest.raises(RegionError):
        region.split(0)


def test_split_pieces_are_valid_and_cover_the_region_exactly():
    from tests.regions.samples import glasgow

    region = Region.from_geometry(glasgow())
    pieces = region.split(20)
    assert all(p.geometry.is_valid and p.area_km2 <= 20 for p in pieces)
    assert len(pieces) <= 4 * math.ceil(region.area_km2 / 20)
    union = shapely.union_all([p.geometry for p in pieces])
    assert union.symmetric_difference(region.geometry).area < 1e-9 * region.geometry.area
    with pytest.raises(RegionError, match="would need over 1000 slices"):
        region.split(0.1)
