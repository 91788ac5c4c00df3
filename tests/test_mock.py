from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pytest

import eojobs
from eojobs import ExecutionStatus, InsufficientCredits, JobStatus
from tests.conftest import GLASGOW
from tests.stac_validation import validate

BIG = (-4.0, 54.0, -3.0, 54.6)


def run(conn, service="Elevation", region=GLASGOW, **kwargs):
    return conn.create_job(service, region, **kwargs).start_and_wait(progress=False)


def test_catalogue_covers_every_option_type_and_required_and_default_options(conn):
    services = conn.services()
    names = {s.name for s in services}
    assert {"Elevation", "Cloud Classification", "Vegetation Index", "Statistics Aggregator",
            "Failing Demo"} <= names
    options = [o for s in services for o in s.options]
    # Every type the Fusion Platform has (the mock is one); integer, date and json are openEO's.
    from eojobs_mock.server.option_codec import WIRE_TYPES

    assert {o.data_type for o in options} == set(WIRE_TYPES)
    assert set(WIRE_TYPES) == set(eojobs.DataType) - {eojobs.DataType.INTEGER,
                                                      eojobs.DataType.DATE, eojobs.DataType.JSON}
    assert any(o.required for o in options)
    assert any(o.default is not None for o in options)
    assert [s.name for s in conn.services(search="ndvi")] == ["Vegetation Index"]


def test_jobs_outlive_the_process_and_are_seen_by_a_new_connection(conn):
    job = conn.create_job("Elevation", GLASGOW, name="persisted")
    with eojobs.connect("mock") as other:
        again = other.job(job.id)
    assert again.name == "persisted"
    assert again.status is JobStatus.CREATED
    assert again.price == job.price > 0


def test_price_is_charged_on_start_and_short_credits_refuse_to_start(conn):
    backend = conn.backend
    before = backend.platform.credits()
    job = run(conn)
    assert backend.platform.credits() == pytest.approx(before - job.price)
    backend.platform.set_credits(0.5)
    poor = conn.create_job("Elevation", GLASGOW)
    with pytest.raises(InsufficientCredits) as info:
        poor.start()
    assert "costs 3.29 credits but the account has 0.5" in str(info.value)
    assert poor.refresh().status is JobStatus.CREATED
    assert backend.platform.credits() == 0.5


def test_large_region_runs_as_a_group_of_slices_plus_an_aggregator(conn):
    job = run(conn, "Statistics Aggregator", BIG)
    slices = [e for e in job.executions if e.part != "aggregate"]
    aggregators = [e for e in job.executions if e.part == "aggregate"]
    assert len(slices) > 1 and len(aggregators) == 1
    assert sorted(e.part for e in slices) == [f"slice-{n:02d}" for n in range(1, len(slices) + 1)]
    assert all(e.status is ExecutionStatus.SUCCEEDED for e in job.executions)
    result = job.results()
    paths = {str(result.relative_path(a)) for a in result.assets}
    assert "aggregate/statistics.csv" in paths
    assert "slice-01/land_cover.tif" in paths


def test_outputs_are_real_files_that_gdal_opens_with_the_right_crs_and_bounds(conn, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    job = run(conn)
    report = job.results().download(tmp_path / "out", progress=False)
    names = sorted(p.name for p in report.done)
    assert names == ["elevation.png", "elevation.tif", "footprint.geojson", "statistics.csv"]
    region = eojobs.Region.from_file(GLASGOW)
    with rasterio.open(tmp_path / "out" / "elevation.tif") as raster:
        assert raster.crs.to_epsg() == 4326
        step = raster.res[0]
        w, s, e, n = region.bounds
        assert raster.bounds.left == pytest.approx(w)
        assert raster.bounds.top == pytest.approx(n)
        assert abs(raster.bounds.right - e) <= step and abs(raster.bounds.bottom - s) <= step
        band = raster.read(1, masked=True)
        assert 0 < band.count() < band.size
    png = (tmp_path / "out" / "elevation.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    header, row = (tmp_path / "out" / "statistics.csv").read_text().splitlines()
    assert header.startswith("slice,band,unit,pixels,minimum,maximum,mean")
    feature = json.loads((tmp_path / "out" / "footprint.geojson").read_text())["features"][0]
    assert feature["properties"]["band"] == "elevation"


def test_outputs_are_deterministic_for_the_same_region_and_options(conn):
    first = {a.name: a.checksum for a in run(conn).results().assets}
    second = {a.name: a.checksum for a in run(conn).results().assets}
    assert first == second
    other = {a.name: a.checksum for a in run(conn, options={"resolution": 90}).results().assets}
    assert other["elevation.tif"] != first["elevation.tif"]


def test_asset_checksums_match_the_bytes(conn):
    job = run(conn)
    for asset in job.results().assets:
        with conn.backend.open_asset(asset) as stream:
            data = stream.read()
        assert len(data) == asset.size
        assert hashlib.sha256(data).hexdigest() == asset.checksum


def test_failing_service_fails_with_a_reason_and_error_logs(conn):
    job = conn.create_job("Failing Demo", GLASGOW, options={"message": "disk full"}).start()
    with pytest.raises(eojobs.JobFailed) as info:
        job.wait(progress=False)
    assert "failed: disk full" in str(info.value)
    assert [line.message for line in info.value.logs] == ["disk full"]
    assert job.status is JobStatus.FAILED


def test_slow_clock_shows_progress_and_stop_freezes_it(user_dir):
    with eojobs.connect("mock", speed=1) as conn:
        job = conn.create_job("Elevation", GLASGOW).start()
        assert job.status is JobStatus.RUNNING
        assert 0 <= job.progress < 100
        job.stop()
        assert job.status is JobStatus.STOPPED
        frozen = job.progress
        assert job.refresh().progress == frozen
        assert job.executions[0].status is ExecutionStatus.STOPPED
        assert any(e.message == "stopped by the user" for e in job.logs())


def test_delete_removes_the_job_and_its_files(conn, user_dir):
    job = run(conn)
    job.results()
    outputs = user_dir / "mock" / "outputs" / job.id
    assert outputs.is_dir()
    job.delete()
    assert not outputs.exists()
    with pytest.raises(eojobs.NotFound):
        conn.job(job.id)
    assert job.id not in [j.id for j in conn.jobs()]


def test_schedule_runs_the_job_several_times(conn):
    start = datetime.now(timezone.utc)
    job = conn.create_job("Elevation", GLASGOW, schedule={
        "start_at": start, "repeat_count": 3, "repeat_every": timedelta(minutes=10)})
    assert job.info.schedule.repeat_count == 3
    job.start_and_wait(progress=False)
    assert sorted({e.run for e in job.executions}) == [0, 1, 2]
    result = job.results()
    assert {str(result.relative_path(a).parent) for a in result.assets} == {
        "run-1", "run-2", "run-3"}


def test_future_schedule_is_scheduled_until_its_time(user_dir):
    with eojobs.connect("mock", speed=1) as conn:
        later = datetime.now(timezone.utc) + timedelta(days=1)
        job = conn.create_job("Elevation", GLASGOW, schedule={"start_at": later}).start()
        assert job.status is JobStatus.SCHEDULED
        assert job.executions == []
        assert job.stop().status is JobStatus.STOPPED


def test_concurrent_processes_lose_no_writes_and_never_see_a_locked_database(user_dir):
    script = textwrap.dedent("""
        import eojobs
        conn = eojobs.connect("mock")
        for i in range(8):
            job = conn.create_job("Elevation", (-4.3, 55.8, -4.2, 55.9), name="p")
            job.start()
            conn.jobs()
    """)
    env = {**__import__("os").environ}
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    with eojobs.connect("mock") as conn:
        jobs = conn.jobs()
        assert len(jobs) == 32
        assert conn.backend.platform.credits() == pytest.approx(1000 - sum(j.price for j in jobs))


def test_download_into_a_file_is_refused_and_the_file_kept(conn, tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me")
    with pytest.raises(eojobs.InputError, match="exists and is not a directory"):
        run(conn).results().download(target, progress=False)
    assert target.read_text() == "keep me"


def test_stac_items_and_collection_describe_the_downloaded_files(conn, tmp_path):
    job = run(conn, "Statistics Aggregator", BIG)
    result = job.results()
    result.download(tmp_path, progress=False)
    written = result.write_stac(tmp_path)
    collection = json.loads((tmp_path / "collection.json").read_text())
    assert collection["type"] == "Collection" and collection["id"] == job.id
    assert len(collection["links"]) == len(result.assets) == len(written) - 1
    for link in collection["links"]:
        entry = json.loads((tmp_path / link["href"]).read_text())
        validate(entry)
        data = (tmp_path / link["href"]).parent / entry["assets"]["data"]["href"]
        assert data.is_file() and data.stat().st_size == entry["assets"]["data"]["file:size"]
        digest = hashlib.sha256(data.read_bytes()).hexdigest()
        assert entry["assets"]["data"]["file:checksum"] == "1220" + digest
        back = (tmp_path / link["href"]).parent / entry["links"][0]["href"]
        assert back.resolve() == (tmp_path / "collection.json").resolve()
    tif = json.loads((tmp_path / "slice-01" / "land_cover.tif.stac.json").read_text())
    assert tif["assets"]["data"]["proj:code"] == "EPSG:4326"
    assert tif["assets"]["data"]["proj:bbox"] == tif["bbox"]
    w, s, e, n = tif["bbox"]
    assert w == pytest.approx(-4.0) and s == pytest.approx(54.0, abs=0.01)
    assert w < e <= -3.0 + 0.01 and s < n <= 54.6 + 0.01
    assert collection["extent"]["spatial"]["bbox"][0][0] == pytest.approx(-4.0, abs=0.01)
