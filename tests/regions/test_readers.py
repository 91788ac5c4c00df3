"""Every region source a user may bring, from Python and from the CLI."""

from __future__ import annotations

import json
import sys
import zipfile

import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, MultiPolygon, Point, box, mapping

from eojobs import Region, RegionError
from eojobs.cli import cli
from eojobs.region import RegionFix
from tests.regions.samples import (
    KML_NS,
    WGS84_PRJ,
    bng_prj,
    glasgow,
    kml,
    kml_polygon,
    to_bng,
    write_shapefile,
    zip_files,
    zip_shapefile,
)

GLASGOW = glasgow()
HOLED = box(0, 0, 4, 4).difference(box(1, 1, 2, 2))


def same(region: Region, geometry: object, tolerance: float = 1e-9) -> bool:
    return region.geometry.symmetric_difference(geometry).area <= tolerance * max(
        region.geometry.area, 1e-12)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_a_feature_collection_is_merged_or_kept_apart_by_choice(tmp_path):
    features = [{"type": "Feature", "properties": {"name": name}, "geometry": mapping(g)}
                for name, g in (("west", box(0, 0, 1, 1)), ("east", box(2, 0, 3, 1)))]
    path = tmp_path / "fields.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    merged = Region.from_file(path)
    assert merged.geometry.geom_type == "MultiPolygon" and merged.bounds == (0, 0, 3, 1)
    each = Region.parse_each(path)
    assert [r.bounds for r in each] == [(0, 0, 1, 1), (2, 0, 3, 1)]
    assert [r.source for r in each] == ["fields.geojson feature 1 (west)",
                                        "fields.geojson feature 2 (east)"]
    result = invoke("--json", "region", str(path), "--per-feature")
    assert [row["source"] for row in json.loads(result.stdout)] == [r.source for r in each]


def test_overlapping_features_are_unioned_into_one_valid_polygon():
    features = [{"type": "Feature", "properties": {}, "geometry": mapping(box(x, 0, x + 2, 2))}
                for x in (0, 1)]
    region = Region.parse({"type": "FeatureCollection", "features": features})
    assert same(region, box(0, 0, 3, 2)) and region.geometry.is_valid


def test_a_projected_geojson_is_reprojected_with_pyproj(tmp_path):
    data = {"type": "Feature", "properties": {}, "geometry": mapping(to_bng(GLASGOW)),
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}}
    path = tmp_path / "bng.geojson"
    path.write_text(json.dumps(data))
    region = Region.from_file(path)
    assert same(region, GLASGOW, 1e-6)
    assert region.notes == ("reprojected from EPSG:27700 to lon/lat WGS84",)


def test_without_pyproj_a_projected_input_names_its_crs(tmp_path, monkeypatch):
    path = tmp_path / "bng.geojson"
    path.write_text(json.dumps({
        "type": "Polygon", "coordinates": mapping(to_bng(GLASGOW))["coordinates"],
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}}))
    monkeypatch.setitem(sys.modules, "pyproj", None)
    with pytest.raises(RegionError) as info:
        Region.from_file(path)
    assert str(info.value) == (
        "bng.geojson is in EPSG:27700, not lon/lat WGS84; install pyproj to reproject it "
        "(pip install 'eojobs[proj]'), or reproject it to EPSG:4326 first "
        "(ogr2ogr -t_srs EPSG:4326, or QGIS)")


def test_wkt_and_wkb_in_every_form(tmp_path):
    square = box(-4.3, 55.8, -4.2, 55.9)
    (tmp_path / "a.wkt").write_text(square.wkt)
    (tmp_path / "a.wkb").write_bytes(square.wkb)
    (tmp_path / "hex.wkb").write_text(square.wkb_hex + "\n")
    for value in (square.wkt, square.wkb, square.wkb_hex, tmp_path / "a.wkt",
                  tmp_path / "a.wkb", str(tmp_path / "hex.wkb")):
        assert same(Region.parse(value), square), value
    assert same(Region.from_wkb(square.wkb_hex), square)
    assert same(Region.from_wkt(square.wkt), square)


def test_kml_placemarks_with_holes_namespaces_and_heights(tmp_path):
    path = tmp_path / "areas.kml"
    path.write_text(kml([("Home", kml_polygon(HOLED, z=0)), ("Away", kml_polygon(box(5, 0, 6, 1),
                                                                                  z=12))],
                        namespace="http://earth.google.com/kml/2.1"))
    region = Region.from_file(path)
    assert same(region, MultiPolygon([HOLED, box(5, 0, 6, 1)]))
    assert "dropped the Z (height) values; a region is flat" in region.notes
    each = Region.parse_each(path)
    assert [r.source for r in each] == ["areas.kml placemark 1 (Home)",
                                        "areas.kml placemark 2 (Away)"]
    assert same(each[0], HOLED)


def test_kml_multigeometry_and_a_document_without_placemarks(tmp_path):
    multi = (f"<MultiGeometry>{kml_polygon(box(0, 0, 1, 1))}{kml_polygon(box(2, 0, 3, 1))}"
             "</MultiGeometry>")
    path = tmp_path / "m.kml"
    path.write_text(kml([("two", multi)]))
    assert same(Region.parse(path), MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)]))
    bare = tmp_path / "bare.kml"
    bare.write_text(f'<kml xmlns="{KML_NS}">{kml_polygon(box(0, 0, 1, 1))}</kml>')
    assert same(Region.from_file(bare), box(0, 0, 1, 1))


def test_kmz_reads_doc_kml_or_the_top_kml(tmp_path):
    document = kml([("Glasgow", kml_polygon(GLASGOW))])
    other = kml([("x", kml_polygon(box(0, 0, 1, 1)))])
    for members in ({"doc.kml": document, "files/other.kml": other},
                    {"files/area.kml": document, "files/icon.png": b"\x89PNG"}):
        path = zip_files(tmp_path / "area.kmz", members)
        assert same(Region.from_file(path), GLASGOW)
        result = invoke("region", str(path))
        assert result.exit_code == 0 and "area.kmz" in result.stdout


def test_zipped_shapefile_as_the_fusion_platform_takes_it(tmp_path):
    shp = write_shapefile(tmp_path / "parts", "glasgow", [GLASGOW])
    archive = zip_shapefile(shp, tmp_path / "glasgow.zip", folder="glasgow/")
    with zipfile.ZipFile(archive, "a") as zf:
        zf.writestr("__MACOSX/glasgow/._glasgow.shp", b"junk")
    region = Region.from_file(archive)
    assert same(region, GLASGOW, 1e-9) and region.notes == ()


def test_a_projected_shapefile_is_reprojected_from_its_prj(tmp_path):
    shp = write_shapefile(tmp_path / "bng", "glasgow", [to_bng(GLASGOW)], prj=bng_prj())
    region = Region.from_file(zip_shapefile(shp, tmp_path / "bng.zip"))
    assert same(region, GLASGOW, 1e-6)
    assert region.notes == ("reprojected from British National Grid to lon/lat WGS84",)


def test_a_bare_shp_finds_its_siblings_in_any_case(tmp_path):
    shp = write_shapefile(tmp_path, "Fields", [box(0, 0, 1, 1), box(2, 0, 3, 1)],
                          names=["north", "south"], upper=True)
    assert shp.name == "Fields.SHP"
    assert same(Region.from_file(shp), MultiPolygon([box(0, 0, 1, 1), box(2, 0, 3, 1)]))
    assert [r.source for r in Region.parse_each(str(shp))] == [
        "Fields.SHP feature 1 (north)", "Fields.SHP feature 2 (south)"]


def test_a_shp_without_prj_needs_a_crs_when_projected(tmp_path):
    shp = write_shapefile(tmp_path, "bng", [to_bng(GLASGOW)], prj=None)
    with pytest.raises(RegionError, match=r"looks projected .* give its CRS \(crs='EPSG:27700'\)"):
        Region.from_file(shp)
    region = Region.from_file(shp, RegionFix(crs="EPSG:27700"))
    assert same(region, GLASGOW, 1e-6)
    result = invoke("region", str(shp), "--region-crs", "EPSG:27700")
    assert result.exit_code == 0, result.stderr
    assert "note: reprojected from EPSG:27700 to lon/lat WGS84" in result.stderr


def test_lines_and_points_become_areas_only_with_a_buffer(tmp_path):
    shp = write_shapefile(tmp_path, "road", [LineString([(-4.3, 55.8), (-4.2, 55.85)])])
    with pytest.raises(RegionError, match=r"only LineString; .* in metres \(buffer_m=100\)$"):
        Region.from_file(shp)
    region = Region.from_file(shp, RegionFix(buffer_m=50))
    length_km = 7.7  # about, at 55.8° N
    assert region.area_km2 == pytest.approx(length_km * 0.1, rel=0.1)
    point = Region.parse(Point(-4.25, 55.86), RegionFix(buffer_m=1000))
    assert point.area_km2 == pytest.approx(3.14159, rel=0.02)
    assert point.notes == ("buffered the Point of Point by 1000 m",)


def test_shapely_geo_interface_and_geodataframes_in_any_crs():
    geopandas = pytest.importorskip("geopandas")

    class Thing:
        __geo_interface__ = mapping(GLASGOW)

    assert same(Region.parse(Thing()), GLASGOW)
    assert same(Region.parse(GLASGOW), GLASGOW)
    frame = geopandas.GeoDataFrame({"name": ["glasgow", "square"]},
                                   geometry=[GLASGOW, box(-4, 55, -3.9, 55.1)], crs="EPSG:4326")
    assert same(Region.parse(frame), shapely.union_all([GLASGOW, box(-4, 55, -3.9, 55.1)]))
    projected = frame.to_crs(27700)
    each = Region.parse_each(projected)
    assert [r.source for r in each] == ["GeoDataFrame feature 1 (glasgow)",
                                        "GeoDataFrame feature 2 (square)"]
    assert same(each[0], GLASGOW, 1e-6)
    assert same(Region.from_geometry(projected.geometry), Region.parse(frame).geometry, 1e-6)


def test_a_bbox_across_the_antimeridian_needs_repair():
    with pytest.raises(RegionError, match=r"west \(170\) east of east \(-170\)"):
        Region.parse("170,-10,-170,10")
    region = Region.parse("170,-10,-170,10", RegionFix(repair=True))
    assert region.geometry.geom_type == "MultiPolygon"
    assert region.area_km2 == pytest.approx(Region.parse("-10,-10,10,10").area_km2, rel=1e-9)


def test_every_reader_agrees_on_the_same_polygon(tmp_path):
    shp = write_shapefile(tmp_path / "s", "g", [GLASGOW], prj=WGS84_PRJ)
    forms = [
        mapping(GLASGOW), GLASGOW.wkt, GLASGOW.wkb, GLASGOW.wkb_hex, shp,
        zip_shapefile(shp, tmp_path / "g.zip"),
        zip_files(tmp_path / "g.kmz", {"doc.kml": kml([("g", kml_polygon(GLASGOW))])}),
    ]
    regions = [Region.parse(form) for form in forms]
    assert all(same(r, GLASGOW, 1e-12) for r in regions)
