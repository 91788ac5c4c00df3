"""Property-based tests of the region readers: round trips, and no error but RegionError."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPoint, mapping

from eojobs import Region, RegionError
from tests.regions.samples import kml, kml_polygon, write_shapefile, zip_files, zip_shapefile

lon = st.floats(-179.0, 179.0, allow_nan=False)
lat = st.floats(-89.0, 89.0, allow_nan=False)


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Polygon:
    """Convex polygons of 3 to 30 random points, wide enough to have an area."""
    x, y = draw(lon), draw(lat)
    size = draw(st.floats(0.001, 0.9))
    points = draw(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=3, max_size=30))
    hull = MultiPoint([(x + px * size, y + py * size) for px, py in points]).convex_hull
    if hull.geom_type != "Polygon" or hull.area < 1e-6 * size * size:
        return shapely.box(x, y, x + size, y + size)
    return shapely.set_precision(hull, 1e-9)


def written(geometry: shapely.Polygon, form: str, folder: Path) -> object:
    if form == "geojson":
        path = folder / "r.geojson"
        path.write_text(json.dumps(mapping(geometry)))
        return path
    if form == "wkt":
        return geometry.wkt
    if form == "wkb":
        return geometry.wkb
    if form == "hex":
        return geometry.wkb_hex
    if form == "kmz":
        return zip_files(folder / "r.kmz", {"doc.kml": kml([("r", kml_polygon(geometry))])})
    shp = write_shapefile(folder / "s", "r", [geometry])
    return zip_shapefile(shp, folder / "r.zip")


#: More examples for a deeper search: FUZZ=3000 pytest tests/regions/test_properties.py
EXAMPLES = int(os.environ.get("FUZZ", 200))


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(polygons(), st.sampled_from(["geojson", "wkt", "wkb", "hex", "kmz", "shapefile"]))
def test_every_format_round_trips_a_polygon(geometry, form):
    with tempfile.TemporaryDirectory() as folder:
        region = Region.parse(written(geometry, form, Path(folder)))
    assert region.geometry.normalize().equals_exact(geometry.normalize(), 1e-9)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_as_a_file_give_a_region_or_a_region_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "region.geojson")
        path.write_bytes(data)
        try:
            Region.from_file(path)
        except RegionError as exc:
            assert str(exc) and "\n" not in str(exc)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_region_or_a_region_error(text):
    try:
        Region.parse(text)
    except RegionError as exc:
        assert str(exc)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "coordinates", "features", "geometry", "geometries", "crs",
                         "properties", "Polygon", "Feature"]), children, max_size=4),
    max_leaves=20,
))
def test_any_json_shape_gives_a_region_or_a_region_error(value):
    for candidate in (value, {"type": "Polygon", "coordinates": value},
                      {"type": "FeatureCollection", "features": value}):
        try:
            Region.parse(candidate if isinstance(candidate, dict) else json.dumps(candidate))
        except RegionError:
            pass


@settings(max_examples=max(EXAMPLES // 2, 20), deadline=None)
@given(lon, lat, st.floats(0.01, 5), st.floats(0.01, 5), st.floats(1, 5000))
def test_split_pieces_are_below_the_limit_and_add_up(west, south, width, height, limit):
    region = Region.from_bbox((west, south, min(west + width, 180), min(south + height, 90)))
    if region.area_km2 / limit > 1000:
        with pytest.raises(RegionError, match="would need over 1000 slices"):
            region.split(limit)
        return
    pieces = region.split(limit)
    assert all(p.area_km2 <= limit * (1 + 1e-9) for p in pieces)
    assert sum(p.area_km2 for p in pieces) == pytest.approx(region.area_km2, rel=1e-6)
