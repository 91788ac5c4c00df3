"""Inputs a review found handled wrongly: each now reads right or is refused clearly."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box, mapping

from eojobs import Region, RegionError, RegionFix
from eojobs.cli import cli
from tests.conftest import GLASGOW
from tests.regions.samples import bng_prj, glasgow, to_bng, write_shapefile


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", ["points.geojson", "polygon_fields.geojson",
                                  "[2024] fields.geojson", "Multipolygon.json"])
def test_a_file_named_like_wkt_or_json_is_read_as_the_file(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    shutil.copy(GLASGOW, tmp_path / name)
    assert Region.parse(name).source == name
    assert invoke("region", name).exit_code == 0


def test_wide_boxes_polar_caps_and_the_world_are_regions():
    assert Region.parse("-179,0,179,10").area_km2 > 30e6
    world = Region.parse("-180,-90,180,90")
    assert world.area_km2 == pytest.approx(4 * np.pi * 6378.137**2, rel=1e-6)
    cap = {"type": "Polygon", "coordinates": [[[-180, 60], [0, 60], [180, 60], [180, 90],
                                               [-180, 90], [-180, 60]]]}
    assert Region.parse(cap).bounds == (-180, 60, 180, 90)


def test_repairing_an_antimeridian_crossing_says_what_it_took():
    crossing = "POLYGON ((179 0, -179 0, -179 10, 179 10, 179 0))"
    region = Region.parse(crossing, RegionFix(repair=True))
    assert region.geometry.geom_type == "MultiPolygon"
    assert region.notes == ("split WKT at the antimeridian, taking it as crossing 180° "
                            "(246,584 km²)",)
    wrapped = Region.parse("170,0,-170,10", RegionFix(repair=True))
    assert wrapped.notes == ("read bbox 170,0,-170,10 as crossing the antimeridian",)


def test_a_buffer_past_180_is_wrapped_and_keeps_its_area():
    region = Region.parse("POINT (179.99 0)", RegionFix(buffer_m=10_000))
    w, s, e, n = region.bounds
    assert (w, e) == (-180, 180) and -1 < s and n < 1
    assert region.geometry.geom_type == "MultiPolygon"
    assert region.notes[-1] == ("the buffer around WKT reaches past 180°: wrapped it across "
                                "the antimeridian")
    assert region.area_km2 == pytest.approx(np.pi * 10**2, rel=0.01)


def test_a_buffer_that_reaches_a_pole_is_refused():
    with pytest.raises(RegionError, match=r"the 10000 m buffer around WKT reaches a pole, "
                                          r"where a buffer drawn in lon/lat would be wrong"):
        Region.parse("POINT (0 89.99)", RegionFix(buffer_m=10_000))


@pytest.mark.parametrize(("fix", "message"), [
    (dict(buffer_m=3e7), "buffer_m must be more than 0 and at most 1,000,000 metres"),
    (dict(buffer_m="100"), "buffer_m must be a number of metres, not '100'"),
    (dict(simplify_m=-1), "simplify_m must be more than 0 and at most 100,000 metres"),
    (dict(crs=27700), "crs must be text such as 'EPSG:27700', not 27700"),
])
def test_a_bad_fix_is_a_region_error(fix, message):
    with pytest.raises(RegionError, match=message):
        RegionFix(**fix)


@pytest.mark.parametrize("cpg", [b"System", b"ANSI 1252", b"1252", b"UTF-8", b"nonsense"])
def test_any_code_page_file_reads(tmp_path, cpg):
    shp = write_shapefile(tmp_path, "fields", [box(0, 0, 1, 1)], names=["Malö"])
    (tmp_path / "fields.cpg").write_bytes(cpg)
    assert Region.parse_each(shp)[0].source.startswith("fields.shp")


def test_deeply_nested_geojson_is_refused_without_a_traceback(tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text('{"type":"Polygon","coordinates":' + "[" * 100_000 + "]" * 100_000 + "}")
    result = invoke("region", str(path))
    assert result.exit_code == 2
    assert result.stderr == "error: deep.geojson is nested too deeply to be GeoJSON\n"


def test_a_projected_crs_given_for_lonlat_data_is_refused(tmp_path):
    shp = write_shapefile(tmp_path, "plain", [glasgow()], prj=None)
    with pytest.raises(RegionError, match=r"look like lon/lat degrees .* not the metres of "
                                          r"EPSG:27700, the CRS given; drop the CRS option"):
        Region.parse(shp, RegionFix(crs="EPSG:27700"))


def test_a_crs_given_that_matches_the_files_own_is_fine(tmp_path):
    assert Region.parse(GLASGOW, RegionFix(crs="EPSG:4326")).area_km2 > 200
    shp = write_shapefile(tmp_path, "bng", [to_bng(glasgow())], prj=bng_prj())
    region = Region.parse(shp, RegionFix(crs="EPSG:27700"))
    assert region.geometry.symmetric_difference(glasgow()).area < 1e-6 * glasgow().area


def test_a_dbf_with_fewer_records_loses_no_shape(tmp_path):
    import shapefile

    shp = write_shapefile(tmp_path, "two", [box(0, 0, 1, 1), box(2, 0, 3, 1)])
    with shapefile.Writer(str(tmp_path / "one"), shapeType=shapefile.POLYGON) as writer:
        writer.field("name", "C", size=10)
        writer.shape(mapping(box(0, 0, 1, 1)))
        writer.record("only")
    shutil.copy(tmp_path / "one.dbf", tmp_path / "two.dbf")
    region = Region.from_file(shp)
    assert region.geometry.geom_type == "MultiPolygon"
    assert region.notes == ("two.shp: the .dbf has 1 records for 2 shapes; read every shape, "
                            "without names",)


def test_ewkt_and_ewkb_srids_are_honoured(tmp_path):
    bng = shapely.set_srid(to_bng(glasgow()), 27700)
    for value in ("SRID=27700;" + bng.wkt, shapely.to_wkb(bng, include_srid=True)):
        region = Region.parse(value)
        assert region.geometry.symmetric_difference(glasgow()).area < 1e-6 * glasgow().area
        assert region.notes == ("reprojected from EPSG:27700 to lon/lat WGS84",)


@pytest.mark.parametrize("part", ["fields.shx", "fields.dbf"])
def test_a_shapefile_part_given_alone_points_at_the_shp(tmp_path, part):
    write_shapefile(tmp_path, "fields", [box(0, 0, 1, 1)])
    result = invoke("region", str(tmp_path / part))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {part} is one part of a shapefile; give fields.shp (with "
                             "its parts beside it), or a zip of all the parts\n")


def test_notes_show_only_when_the_command_succeeds(tmp_path):
    path = tmp_path / "z.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[-4.3, 55.8, 9], [-4.2, 55.8, 9], [-4.2, 55.9, 9], [-4.3, 55.8, 9]]]}))
    failed = invoke("run", "elevation", "-r", str(path), "-o", "resolution=1")
    assert failed.exit_code == 2 and "note:" not in failed.stderr
    worked = invoke("run", "elevation", "-r", str(path), "--no-wait")
    assert "note: dropped the Z (height) values; a region is flat" in worked.stderr


def test_a_tiny_region_gets_a_note():
    region = Region.parse("0,0,0.0001,0.0001")
    assert region.notes == ("bbox covers only 123.9 m²; check it is the region you meant",)


def test_odd_python_inputs_are_read_or_refused_clearly():
    assert Region.parse(np.array([0.0, 0.0, 1.0, 1.0])).bounds == (0, 0, 1, 1)
    assert Region.parse(b"POLYGON ((0 0, 1 0, 1 1, 0 0))").bounds == (0, 0, 1, 1)

    class Broken:
        @property
        def __geo_interface__(self):
            raise ValueError("no geometry loaded")

    with pytest.raises(RegionError, match=r"Broken.__geo_interface__ failed: no geometry"):
        Region.parse(Broken())
    with pytest.raises(RegionError, match="WKT is text, not int"):
        Region.from_wkt(5)  # type: ignore[arg-type]
    with pytest.raises(RegionError, match="is empty: it has no coordinates"):
        Region.parse("POLYGON EMPTY")


def test_kml_entity_bombs_and_external_entities_are_refused(tmp_path):
    laughs = ('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "lol">'
              + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                        for i in range(9))
              + ']><kml><Placemark><name>&j;</name></Placemark></kml>')
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    external = (f'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file://{secret}">]>'
                "<kml><Placemark><name>&x;</name></Placemark></kml>")
    for name, text in (("laughs.kml", laughs), ("external.kml", external)):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(RegionError) as info:
            Region.from_file(path)
        assert str(info.value).startswith(f"{name} ")
        assert "do not read" not in str(info.value)


def test_an_archive_inside_an_archive_says_to_unpack_it(tmp_path):
    from tests.regions.samples import zip_files

    inner = zip_files(tmp_path / "inner.zip", {"a.txt": "x"})
    outer = zip_files(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()})
    with pytest.raises(RegionError, match=r"outer.zip holds neither a .kml nor a .shp \(it holds "
                                          r"another archive: unpack that first\)"):
        Region.from_file(outer)
