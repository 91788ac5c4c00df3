"""A corpus of bad regions: each gets its own clear message, exit 2, and changes nothing.

Every case runs ``eojobs run elevation --region ...`` on the mock platform
from an empty working folder, then checks the message, the exit code, that
no traceback shows, that no job exists, that the working folder holds
exactly what it held before, and that the input file is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import LineString, Point, box, mapping

import eojobs
from eojobs.cli import cli
from eojobs.cli.hints import error_text
from eojobs.errors import Fix
from tests.regions.samples import (
    glasgow,
    kml,
    kml_polygon,
    to_bng,
    write_shapefile,
    zip_files,
    zip_shapefile,
)

Case = Callable[[Path], list[str]]


def text(name: str, content: str | bytes) -> Case:
    def build(folder: Path) -> list[str]:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return [str(path)]
    return build


def geojson(data: object, name: str = "region.geojson") -> Case:
    return text(name, json.dumps(data))


def polygon(*rings: list[tuple[float, float]]) -> dict:
    return {"type": "Polygon", "coordinates": [list(map(list, r)) for r in rings]}


def arg(*values: str) -> Case:
    return lambda folder: list(values)


def shp(geometries: list, prj: str | None = None, zipped: bool = False) -> Case:
    def build(folder: Path) -> list[str]:
        path = write_shapefile(folder / "parts", "area", geometries, prj=prj)
        return [str(zip_shapefile(path, folder / "area.zip") if zipped else path)]
    return build


def archive(name: str, members: dict[str, bytes | str]) -> Case:
    return lambda folder: [str(zip_files(folder / name, members))]


def truncated(case: Case, keep: float = 0.6) -> Case:
    def build(folder: Path) -> list[str]:
        args = case(folder)
        path = Path(args[0])
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])
        return args
    return build


def with_flags(case: Case, *flags: str) -> Case:
    return lambda folder: case(folder) + list(flags)


def two_shapefiles(folder: Path) -> list[str]:
    a = write_shapefile(folder / "a", "north", [box(0, 0, 1, 1)])
    b = write_shapefile(folder / "b", "south", [box(0, 2, 1, 3)])
    members = {p.name: p.read_bytes() for p in [*a.parent.iterdir(), *b.parent.iterdir()]}
    return [str(zip_files(folder / "two.zip", members))]


def projected_geojson(folder: Path) -> list[str]:
    path = folder / "bng.geojson"
    path.write_text(json.dumps({
        "type": "Feature", "properties": {}, "geometry": mapping(to_bng(glasgow())),
        "crs": {"type": "name", "properties": {"name": "EPSG:27700"}}}))
    return [str(path)]


def bomb(folder: Path) -> list[str]:
    path = folder / "bomb.kmz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", b"<kml>" + b" " * (20 << 20) + b"</kml>")
    return [str(path)]


BOWTIE = [(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)]
SQUARE = [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]
ANGLES = np.linspace(0, 2 * np.pi, 120_000, endpoint=False)
MANY = shapely.Polygon(np.column_stack([-4 + 0.2 * np.cos(ANGLES), 55 + 0.1 * np.sin(ANGLES)]))

CASES: list[tuple[str, Case, str]] = [
    ("empty file", text("region.geojson", ""), "region.geojson is empty"),
    ("blank file", text("region.geojson", " \n\t\n"), "region.geojson is empty"),
    ("no features", geojson({"type": "FeatureCollection", "features": []}),
     "region.geojson holds no geometry"),
    ("null geometry", geojson({"type": "Feature", "properties": {}, "geometry": None}),
     "region.geojson holds no geometry"),
    ("a point alone", geojson(mapping(Point(1, 1))),
     "region.geojson has no polygon, only Point; a region must be an area; to cover the area "
     "around them, pass a buffer in metres (--buffer 100)"),
    ("lines in a shapefile", shp([LineString([(0, 0), (1, 1)])]),
     "area.shp has no polygon, only LineString"),
    ("longitude 200", geojson(polygon([(0, 0), (200, 0), (200, 1), (0, 0)])),
     "region.geojson has a vertex outside lon/lat range at (200, 0): longitude must be within "
     "-180..180 and latitude within -90..90 (WGS84 degrees)"),
    ("lat,lon swapped", arg("POLYGON((55.8 -4.3, 55.9 -4.3, 55.9 120, 55.8 120, 55.8 -4.3))"),
     "WKT has latitudes beyond ±90 that would fit as longitudes: the coordinates look like "
     "lat,lon, but GeoJSON, WKT and KML give lon,lat. Swap them (--swap-xy)"),
    ("projected without a CRS", shp([to_bng(glasgow())]),
     "area.shp looks projected (a vertex at 244,990, 673,520), not in lon/lat degrees, and "
     "names no CRS; give its CRS (--region-crs EPSG:27700), or reproject it to EPSG:4326"),
    ("self-intersection", geojson(polygon(BOWTIE)),
     "region.geojson is not a valid polygon: its outline crosses itself at (0.5, 0.5); fix it "
     "in your GIS, or pass --repair to fix it with make_valid"),
    ("open ring", geojson(polygon([(0, 0), (1, 0), (1, 1), (0, 1)])),
     "region.geojson has a ring that is not closed: ring 1 of polygon 1 starts at (0, 0) but "
     "ends at (0, 1); the last point must repeat the first. Close it, or pass --repair to close "
     "it"),
    ("open ring in WKT", arg("POLYGON((0 0, 1 0, 1 1, 0 1))"),
     "WKT is not valid WKT: a ring is not closed (its last point must repeat its first)"),
    ("NaN", text("region.geojson", '{"type": "Polygon", "coordinates": '
                 '[[[0, 0], [NaN, 1], [1, 0], [0, 0]]]}'),
     "region.geojson has NaN or infinite coordinates (vertex 2: nan, 1.0)"),
    ("infinity", text("region.geojson", '{"type": "Polygon", "coordinates": '
                      '[[[0, 0], [1, Infinity], [1, 0], [0, 0]]]}'),
     "region.geojson has NaN or infinite coordinates (vertex 2: 1.0, inf)"),
    ("antimeridian", geojson(polygon([(179, 0), (-179, 0), (-179, 1), (179, 1), (179, 0)])),
     "region.geojson has an edge from (179, 0) to (-179, 0) that spans more than 180° of "
     "longitude. If it crosses the antimeridian (180°), pass --repair to split "
     "it there; if it really goes the long way round, add vertices so that no edge spans 180° "
     "or more"),
    ("truncated GeoJSON", truncated(geojson(mapping(glasgow()))),
     "region.geojson ends in the middle of the JSON (line 1); it looks truncated"),
    ("bad JSON", text("region.geojson", '{"type": "Polygon",, }'),
     "region.geojson is not valid JSON: Expecting property name enclosed in double quotes "
     "(line 1, column 20)"),
    ("an unterminated string", text("region.geojson", '{"type": "Polygon", "coordinates": "x}  '),
     "region.geojson is not valid JSON: Unterminated string starting (line 1, column 36)"),
    ("a JSON array", text("region.geojson", "[1, 2, 3]"),
     "region.geojson is a JSON array, not a GeoJSON object"),
    ("not GeoJSON", geojson({"type": "Sphere", "radius": 1}),
     "region.geojson is not GeoJSON: expected a geometry, Feature or FeatureCollection, "
     "got type 'Sphere'"),
    ("a PNG", text("region.geojson", b"\x89PNG\r\n\x1a\n" + bytes(64)),
     "region.geojson is a PNG image, not a region file"),
    ("a GeoPackage", text("fields.gpkg", b"SQLite format 3\x00" + bytes(100)),
     "fields.gpkg is an SQLite database or GeoPackage; export the layer to GeoJSON or a "
     "zipped shapefile"),
    ("KML named .geojson", text("region.geojson", kml([("x", kml_polygon(box(0, 0, 1, 1)))])),
     "region.geojson is named .geojson but holds KML; rename it to region.kml if that is "
     "right, or check you picked the right file"),
    ("binary junk", text("region.bin", bytes(range(256)) * 4),
     "region.bin is a binary file of an unknown kind, not a region file"),
    ("a CSV", text("points.csv", "lon,lat\n1,2\n"),
     "points.csv is not a region file: expected GeoJSON, KML, KMZ, a zipped shapefile, a .shp, "
     "WKT or WKB"),
    ("Latin-1 text", text("region.geojson", '{"type": "Feature", "name": "Mal\xf6"}'.encode(
        "latin-1")), "region.geojson is not UTF-8 text; GeoJSON must be UTF-8"),
    ("truncated KML", truncated(text("area.kml", kml([("x", kml_polygon(glasgow()))]))),
     "area.kml ends in the middle of the XML (line 1); it looks truncated"),
    ("GPX, not KML", text("track.kml", '<gpx version="1.1"><trk/></gpx>'),
     "track.kml is XML but not KML: its root element is <gpx>"),
    ("KML without polygons", text("empty.kml", kml([])),
     "empty.kml holds no geometry: no Placemark has a Polygon"),
    ("KML with bad coordinates", text("bad.kml", kml([("x", "<Polygon><outerBoundaryIs>"
                                                       "<LinearRing><coordinates>0,0 1,x 1,1 0,0"
                                                       "</coordinates></LinearRing>"
                                                       "</outerBoundaryIs></Polygon>")])),
     "bad.kml placemark 1 (x) has coordinates that are not numbers"),
    ("zip-slip in a KMZ", archive("evil.kmz", {"../../evil.kml": kml([])}),
     "evil.kmz: member '../../evil.kml' would land outside archive/; refusing the archive"),
    ("zip bomb", bomb, "bomb.kmz: doc.kml expands 20,971,531 bytes from"),
    ("truncated zip", truncated(shp([box(0, 0, 1, 1)], zipped=True)),
     "area.zip is not a readable ZIP archive (truncated or damaged)"),
    ("zip without a region", archive("photos.zip", {"a.jpg": b"\xff\xd8\xff"}),
     "photos.zip holds neither a .kml nor a .shp"),
    ("two shapefiles in a zip", two_shapefiles,
     "two.zip holds 2 shapefiles (north.shp, south.shp); zip one region at a time"),
    ("truncated .shp", truncated(shp([glasgow()]), keep=0.5),
     "area.shp is not a readable shapefile (truncated or damaged?)"),
    ("bbox south above north", arg("-4.2,55.9,-4.3,55.8"),
     "bbox -4.2,55.9,-4.3,55.8 is empty: south (55.9) must be below north (55.8); the order is "
     "west,south,east,north"),
    ("bbox of three numbers", arg("-4.2,55.9,-4.3"),
     "no such region file: -4.2,55.9,-4.3 (nor is it GeoJSON, WKT, WKB or W,S,E,N)"),
    ("bbox with a word", arg("-4.2,55.9,-4.3,north"),
     "bbox '-4.2,55.9,-4.3,north' is not four numbers west,south,east,north"),
    ("a directory", lambda folder: [str(folder)], "is a directory, not a region file"),
    ("a missing file", arg("nowhere.kml"), "no such region file: nowhere.kml"),
    ("too large for the backend", arg("-20,30,40,70"),
     "bbox covers 18,731,195 km², more than mock takes in one job (500,000 km²); use a "
     "smaller region, or one job per feature (--per-feature)"),
    ("too many vertices", geojson(mapping(MANY)),
     "region.geojson has 120,001 vertices, more than mock takes (100,000); simplify it with "
     "--simplify 1m, which leaves 257 vertices"),
    ("conflicting CRS", with_flags(projected_geojson, "--region-crs", "EPSG:32630"),
     "bng.geojson names its CRS as EPSG:27700, but EPSG:32630 was given; drop the CRS option"),
    ("unknown CRS", with_flags(shp([box(0, 0, 1, 1)], prj=None), "--region-crs", "EPSG:99999"),
     "the CRS given for area.shp is not one pyproj knows: 'EPSG:99999'; give one such as "
     "EPSG:27700"),
    ("a .prj pyproj cannot read", shp([to_bng(glasgow())], prj='PROJCS["Nowhere",JUNK]'),
     "area.shp names a CRS pyproj does not know: Nowhere"),
    ("bad --buffer", with_flags(arg("POINT(1 1)"), "--buffer", "10cm"),
     "Invalid value for '--buffer': '10cm' is not a distance such as 100, 100m or 1.5km"),
    ("negative --simplify", with_flags(arg("1,1,2,2"), "--simplify", "-5"),
     "Invalid value for '--simplify': '-5' is not a distance such as 100, 100m or 1.5km"),
    ("a CRS that is no CRS", with_flags(arg("1,1,2,2"), "--region-crs", "nonsense"),
     "the CRS given for bbox is not one pyproj knows: 'nonsense'"),
]


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("build", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_region_is_refused_clearly_and_nothing_changes(build, message, tmp_path,
                                                             monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    args = build(work)
    before = snapshot(work)
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "elevation", "--download", "out", "-r", *args],
                           catch_exceptions=False)
    output = result.output + result.stderr
    assert result.exit_code == 2, output
    assert message in result.stderr, result.stderr
    assert "Traceback" not in output
    lines = result.stderr.strip().splitlines()
    if lines[-1].startswith("Error: "):  # click's usage errors: usage, hint, blank, error
        assert len(lines) == 4, result.stderr
    else:
        # Some messages are the start of a longer line; the one line holds them all.
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert snapshot(work) == before
    jobs = runner.invoke(cli, ["--json", "jobs"], catch_exceptions=False)
    assert json.loads(jobs.stdout) == []


#: The same refusals through the Python API: the fixes in Python terms, and as data.
PYTHON_WORDING: dict[str, tuple[str, list[Fix]]] = {
    "a point alone": ("pass a buffer in metres (buffer_m=100)", [Fix("buffer_m", 100)]),
    "lat,lon swapped": ("Swap them (swap_xy=True)", [Fix("swap_xy", True)]),
    "projected without a CRS": ("give its CRS (crs='EPSG:27700'), or reproject it to EPSG:4326",
                                [Fix("crs", "EPSG:27700")]),
    "self-intersection": ("fix it in your GIS, or pass repair=True to fix it with make_valid",
                          [Fix("repair", True)]),
    "open ring": ("Close it, or pass repair=True to close it", [Fix("repair", True)]),
    "antimeridian": ("pass repair=True to split it there; if it really goes the long way round",
                     [Fix("repair", True)]),
    "too large for the backend": ("use a smaller region, or one job per feature "
                                  "(Region.parse_each)", [Fix("Region.parse_each")]),
    "too many vertices": ("simplify it with simplify_m=1, which leaves 257 vertices",
                          [Fix("simplify_m", 1)]),
}


@pytest.mark.parametrize("name", PYTHON_WORDING)
def test_the_python_api_words_the_fixes_as_python(name, tmp_path):
    [(build, cli_message)] = [(c[1], c[2]) for c in CASES if c[0] == name]
    wording, fixes = PYTHON_WORDING[name]
    with eojobs.connect("mock") as conn, pytest.raises(eojobs.RegionError) as refused:
        conn.create_job("elevation", build(tmp_path)[0])
    said = str(refused.value)
    assert wording in said
    assert list(refused.value.fixes) == fixes
    # The same message but for the fixes' words: the CLI's flags where Python has keywords.
    assert error_text(refused.value) in cli_message or cli_message in error_text(refused.value)
    assert "--" not in said


def test_the_corpus_has_over_30_distinct_messages():
    assert len({message for _, _, message in CASES}) >= 30


def test_nothing_is_uploaded_to_fusion_for_a_bad_region(mock_server, monkeypatch, tmp_path):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    monkeypatch.setenv("EOJOBS_FUSION_EMAIL", mock_server.email)
    monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", mock_server.password)
    runner = CliRunner()
    for name, build, message in CASES:
        if name in ("too large for the backend",):
            continue  # the Fusion platform states no area limit
        args = build(_fresh(tmp_path, name))
        result = runner.invoke(cli, ["-b", "fusion", "run", "elevation", "-r", *args],
                               catch_exceptions=False)
        expected = message.replace("mock takes", "fusion takes")
        assert result.exit_code == 2 and expected in result.stderr, (name, result.stderr)
    uploaded = [p for p in mock_server.state.blobs.folder.rglob("*") if p.is_file()]
    assert uploaded == []
    jobs = runner.invoke(cli, ["-b", "fusion", "--json", "jobs"], catch_exceptions=False)
    assert json.loads(jobs.stdout) == []


def _fresh(root: Path, name: str) -> Path:
    folder = root / name.replace(" ", "_").replace("/", "_")
    folder.mkdir()
    return folder
