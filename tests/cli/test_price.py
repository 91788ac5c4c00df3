"""A price before you pay: create, --max-price, service names that never guess, option rules."""

from __future__ import annotations

import json

import pytest

import eojobs
from tests.conftest import GLASGOW

VEG = ["Vegetation Index", "-r", "-4.3,55.8,-4.2,55.9"]


def credits(eojobs_cli) -> float:
    return eojobs_cli.json("credits")["credits"]


def test_create_prints_the_id_and_price_and_charges_nothing(eojobs):
    before = credits(eojobs)
    result = eojobs("create", "elevation", "-r", str(GLASGOW))
    assert result.exit_code == 0, result.stderr
    job_id = result.stdout.strip()
    assert f"created job {job_id} (Elevation), price 3.29 credits" in result.stderr
    assert f"nothing is charged until you start it: eojobs start {job_id}" in result.stderr
    assert credits(eojobs) == before
    assert eojobs.json("status", job_id)["status"] == "created"
    started = eojobs("start", job_id)
    assert started.exit_code == 0
    assert credits(eojobs) == round(before - 3.29, 2)


def test_create_takes_a_job_file_and_json(eojobs, tmp_path):
    job = tmp_path / "job.yaml"
    job.write_text(f"service: elevation\nregion: {GLASGOW}\nname: from a file\n")
    data = eojobs.json("create", "--from", str(job))
    assert data["name"] == "from a file" and data["status"] == "created" and data["price"] == 3.29


def test_max_price_starts_a_job_within_it(eojobs):
    data = eojobs.json("run", "elevation", "-r", str(GLASGOW), "--max-price", "3.29")
    assert data["status"] == "succeeded"


def test_max_price_keeps_a_dearer_job_unstarted_and_exits_1(eojobs):
    before = credits(eojobs)
    result = eojobs("run", "elevation", "-r", str(GLASGOW), "--max-price", "2")
    assert result.exit_code == 1
    job_id = result.stdout.strip()
    assert result.stderr.splitlines()[-1] == (
        f"error: job {job_id} costs 3.29 credits, more than --max-price 2; it is kept, not "
        f"started: start with `eojobs start {job_id}` or delete with `eojobs delete {job_id}`")
    assert eojobs.json("status", job_id)["status"] == "created"
    assert credits(eojobs) == before


def test_max_price_counts_every_job_of_a_per_feature_run(eojobs, tmp_path):
    fields = tmp_path / "fields.geojson"
    square = [[-4.3, 55.8], [-4.29, 55.8], [-4.29, 55.81], [-4.3, 55.81], [-4.3, 55.8]]
    other = [[x + 0.05, y] for x, y in square]
    fields.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon",
                                                           "coordinates": [ring]}}
        for ring in (square, other)]}))
    one = eojobs.json("create", "elevation", "-r", str(fields))["price"]
    result = eojobs("--json", "run", "elevation", "-r", str(fields), "--per-feature",
                    "--max-price", str(one * 1.5))
    assert result.exit_code == 1
    kept = json.loads(result.stdout)
    assert [j["status"] for j in kept] == ["created", "created"]
    assert "2 jobs cost" in result.stderr and "in all, more than --max-price" in result.stderr


def test_a_backend_without_prices_refuses_max_price(eojobs, unpriced_backend):
    result = eojobs("-b", "unpriced", "run", "elevation", "-r", str(GLASGOW), "--max-price", "100")
    assert result.exit_code == 1
    assert "the unpriced backend gave no price for job" in result.stderr
    job_id = result.stdout.strip()
    assert eojobs.json("-b", "unpriced", "status", job_id)["status"] == "created"
    assert "--max-price cannot be checked" in result.stderr


def test_a_backend_that_prices_nothing_refuses_max_price_before_creating(eojobs,
                                                                         unpriced_backend):
    result = eojobs("-b", "priceless", "run", "elevation", "-r", str(GLASGOW),
                    "--max-price", "100")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: the priceless backend does not support pricing jobs, so --max-price cannot "
        "be checked; nothing was created")
    assert eojobs.json("-b", "priceless", "jobs") == []


def test_a_bad_max_price_is_refused_before_anything_is_created(eojobs):
    for value, words in (("-1", "-1.0 is not in the range x>=0"),
                         ("nan", "nan is not a finite number of credits"),
                         ("ten", "'ten' is not a valid float")):
        result = eojobs("run", "elevation", "-r", str(GLASGOW), "--max-price", value)
        assert result.exit_code == 2 and words in result.stderr, result.stderr
    assert eojobs.json("jobs") == []


def test_part_of_a_word_never_runs_a_service_that_charges(eojobs):
    before = credits(eojobs)
    result = eojobs("run", "e", "-r", str(GLASGOW))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: no service 'e' on mock (did you mean 'Elevation'?); services: ")
    assert eojobs.json("jobs") == [] and credits(eojobs) == before
    assert eojobs.json("run", "ELEVATION", "-r", str(GLASGOW))["service_name"] == "Elevation"


def test_contradicting_dates_are_refused_before_anything_is_charged(eojobs):
    before = credits(eojobs)
    result = eojobs("run", *VEG, "-o", "start_date=2024-06-01", "-o", "end_date=2024-05-01")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: Vegetation Index: start_date (2024-06-01) must be at or before end_date "
        "(2024-05-01) (the composite runs from the start date to the end date)")
    assert eojobs.json("jobs") == [] and credits(eojobs) == before


def test_contradicting_dates_are_refused_on_fusion_before_any_upload(eojobs, fusion_env):
    service = eojobs.json("-b", "fusion", "service", "vegetation")
    assert service["option_rules"] == [{
        "left": "start_date", "op": "<=", "right": "end_date",
        "message": "the composite runs from the start date to the end date"}]
    result = eojobs("-b", "fusion", "run", *VEG, "-o", "start_date=2024-06-02",
                    "-o", "end_date=2024-06-01")
    assert result.exit_code == 2
    assert "start_date (2024-06-02) must be at or before end_date (2024-06-01)" in result.stderr
    assert eojobs.json("-b", "fusion", "jobs") == []
    assert [p for p in fusion_env.state.blobs.folder.rglob("*") if p.is_file()] == []


def test_rules_in_python_too(conn):
    with pytest.raises(eojobs.OptionError) as info:
        conn.create_job("Vegetation Index", (-4.3, 55.8, -4.2, 55.9),
                        options={"start_date": "2024-06-01T00:00Z",
                                 "end_date": "2024-05-01T00:00Z"})
    assert "start_date (2024-06-01) must be at or before end_date (2024-05-01)" in str(info.value)
    one_day = conn.create_job("Vegetation Index", (-4.3, 55.8, -4.2, 55.9),
                              options={"start_date": "2024-06-01T00:00Z",
                                       "end_date": "2024-06-01T00:00Z"})
    assert one_day.status.value == "created"
    with pytest.raises(eojobs.OptionError, match="the search runs from the start date"):
        conn.create_job("Demo: Sentinel-2 Cloud Classification", (-4.3, 55.8, -4.2, 55.9),
                        options={"latest_date": False, "start_date": "2024-06-02T00:00Z",
                                 "end_date": "2024-06-01T00:00Z"})
    assert [j.id for j in conn.jobs()] == [one_day.id]


def test_run_into_a_folder_of_another_job_is_refused_before_anything_is_charged(eojobs,
                                                                                tmp_path):
    out = tmp_path / "out"
    first = eojobs.json("run", "elevation", "-r", str(GLASGOW), "--download", str(out))["id"]
    before, files = credits(eojobs), sorted(p.read_bytes() for p in out.rglob("*")
                                            if p.is_file())
    again = eojobs("run", "elevation", "-r", str(GLASGOW), "--download", str(out))
    assert again.exit_code == 2
    assert again.stderr.startswith(f"error: {out} already holds files of job {first} (")
    assert "download into another folder, or add --overwrite to replace them" in again.stderr
    assert credits(eojobs) == before and len(eojobs.json("jobs")) == 1
    assert sorted(p.read_bytes() for p in out.rglob("*") if p.is_file()) == files
    replaced = eojobs("run", "elevation", "-r", str(GLASGOW), "--download", str(out),
                      "--overwrite")
    assert replaced.exit_code == 0, replaced.stderr


def test_download_into_a_folder_of_another_job_says_how_to_keep_both(eojobs, tmp_path):
    out = tmp_path / "out"
    first = eojobs.json("run", "elevation", "-r", str(GLASGOW), "--download", str(out))["id"]
    second = eojobs.json("run", "elevation", "-r", str(GLASGOW))["id"]
    refused = eojobs("download", second, "--dir", str(out))
    assert refused.exit_code == 2
    assert f"are files of job {first}, not of job {second}" in refused.stderr
    assert refused.stderr.strip().endswith(
        f"to keep both: eojobs download {second} --dir {out / second}; to replace them, "
        "add --overwrite")
