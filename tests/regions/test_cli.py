"""`eojobs region` and the region flags of `eojobs run`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from shapely.geometry import box, mapping, shape

from eojobs.cli import cli
from tests.conftest import GLASGOW


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def collection(tmp_path, boxes: dict[str, tuple[float, float, float, float]]):
    features = [{"type": "Feature", "properties": {"name": name}, "geometry": mapping(box(*b))}
                for name, b in boxes.items()]
    path = tmp_path / "fields.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_region_prints_area_bounds_and_vertices():
    result = invoke("region", str(GLASGOW))
    assert result.exit_code == 0
    assert result.stdout == ("glasgow.geojson: Polygon, 228.72 km², 45 vertices, bounds "
                             "-4.48270,55.79036,-4.08302,55.95335\n")
    data = json.loads(invoke("--json", "region", str(GLASGOW)).stdout)
    assert data["vertices"] == 45 and data["notes"] == [] and data["type"] == "Polygon"


def test_region_geojson_output_carries_the_fixed_geometry(tmp_path):
    result = invoke("region", "LINESTRING (-4.3 55.8, -4.2 55.85)", "--buffer", "0.5km",
                    "--geojson")
    assert result.exit_code == 0
    assert result.stderr == "note: buffered the LineString of WKT by 500 m\n"
    feature = json.loads(result.stdout)["features"][0]
    assert shape(feature["geometry"]).geom_type == "Polygon"


def test_quiet_silences_notes_but_not_errors():
    result = invoke("-q", "region", "POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1))")
    assert result.exit_code == 0 and result.stderr == ""
    result = invoke("-q", "region", "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))")
    assert result.exit_code == 2 and result.stderr.startswith("error: WKT is not a valid polygon")


def test_run_per_feature_makes_one_job_per_feature_with_its_own_folder(tmp_path):
    path = collection(tmp_path, {"west": (-4.3, 55.8, -4.25, 55.85),
                                 "east": (-4.2, 55.8, -4.15, 55.85)})
    out = tmp_path / "out"
    result = invoke("--json", "run", "elevation", "-r", str(path), "--per-feature",
                    "-d", str(out))
    assert result.exit_code == 0, result.stderr
    jobs = json.loads(result.stdout)
    assert [j["name"] for j in jobs] == ["Elevation (fields.geojson feature 1 (west))",
                                         "Elevation (fields.geojson feature 2 (east))"]
    assert sorted(p.name for p in out.iterdir()) == sorted(j["id"] for j in jobs)
    assert all(j["download"]["failed"] == [] for j in jobs)


def test_run_per_feature_creates_nothing_when_one_feature_is_too_large(tmp_path):
    path = collection(tmp_path, {"small": (-4.3, 55.8, -4.25, 55.85),
                                 "huge": (-20, 30, 40, 70)})
    result = invoke("run", "elevation", "-r", str(path), "--per-feature")
    assert result.exit_code == 2
    assert "fields.geojson feature 2 (huge) covers 18,731,195 km²" in result.stderr
    assert json.loads(invoke("--json", "jobs").stdout) == []


def test_region_flags_apply_to_the_region_of_a_job_file(tmp_path):
    job = tmp_path / "job.yaml"
    job.write_text("service: elevation\n"
                   "region: POLYGON ((-4 55, -3.9 55.1, -3.9 55, -4 55.1, -4 55))\n")
    refused = invoke("run", "--from", str(job), "--no-wait")
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"error: {job}: region: WKT is not a valid polygon")
    repaired = invoke("--json", "run", "--from", str(job), "--no-wait", "--repair")
    assert repaired.exit_code == 0, repaired.stderr
    collection(tmp_path, {"a": (-4.3, 55.8, -4.25, 55.85), "b": (-4.2, 55.8, -4.15, 55.85)})
    job.write_text("service: elevation\nregion: fields.geojson\n")
    each = invoke("--json", "run", "--from", str(job), "--no-wait", "--per-feature")
    assert each.exit_code == 0, each.stderr
    assert len(json.loads(each.stdout)) == 2


def test_create_jobs_checks_every_region_before_creating_any(conn):
    from eojobs import Region, RegionError

    small, huge = Region.parse("-4.3,55.8,-4.25,55.85"), Region.parse("-20,30,40,70")
    with pytest.raises(RegionError, match="covers 18,731,195 km²"):
        conn.create_jobs("elevation", [small, huge], options={"resolution": 30})
    assert conn.jobs() == []
    jobs = conn.create_jobs("elevation", [small, small], name="pair")
    assert [j.name for j in jobs] == ["pair (bbox)", "pair (bbox)"]
