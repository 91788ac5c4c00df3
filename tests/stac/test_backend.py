"""The STAC backend from Python, against `rustac serve` and a file server on 127.0.0.1."""

from __future__ import annotations

import pytest
import requests

import eojobs
from tests.conftest import GLASGOW
from tests.stac.conftest import S2, S2_SOUTH, payload, tree

MAY = {"start_date": "2024-05-03T00:00:00Z", "end_date": "2024-05-10T00:00:00Z"}


def test_collections_are_services_with_extent_summaries_and_item_assets(sconn):
    assert {s.id for s in sconn.services()} == {S2, "archive", "faults"}
    service = sconn.service(S2)
    assert service.summary == f"Test {S2}"
    assert service.metadata["extent"]["spatial"]["bbox"] == [[-6.0, 55.0, -3.0, 58.0]]
    assert service.metadata["summaries"]["platform"] == ["sentinel-2a", "sentinel-2b"]
    assert set(service.metadata["item_assets"]) == {"B04", "B08"}
    assert [o.name for o in service.options] == ["start_date", "end_date", "max_cloud", "limit",
                                                 "assets", "filter"]
    assert "B04, B08" in service.option("assets").description


def test_search_by_region_dates_and_cloud_cover(sconn, stac):
    found = sconn.search(S2, GLASGOW, {**MAY, "max_cloud": 20})
    # May 3 to 10 are S2_02 to S2_09, with 8 % to 36 % cloud: 20 % keeps S2_02 to S2_05.
    assert [s.id for s in found] == ["S2_02", "S2_03", "S2_04", "S2_05"]
    first = found[0]
    assert first.cloud_cover == 8 and first.assets == ["B04", "B08"]
    assert first.size == stac.sizes["S2_02_B04.tif"] + stac.sizes["S2_02_B08.tif"]
    assert first.time.isoformat() == "2024-05-03T10:30:00+00:00"
    north = sconn.search(S2, "-5.9,57.6,-5.1,57.9")
    assert [s.id for s in north] == ["S2_20", "S2_21", "S2_22", "S2_23", "S2_24"]
    assert stac.files.seen == []  # searching downloads nothing


def test_search_pages_through_more_items_than_one_page(stac, monkeypatch):
    from eojobs_stac.io import BoundedStacIO

    one_page = requests.post(stac.url + "/search", json={"collections": [S2], "limit": 3},
                             timeout=10).json()
    assert len(one_page["features"]) == 3  # the server pages as asked
    pages = []
    sent = BoundedStacIO.request

    def counted(self, href, method=None, headers=None, parameters=None):
        if href.split("?")[0].endswith("/search"):
            pages.append(href)
        return sent(self, href, method, headers, parameters)

    monkeypatch.setattr(BoundedStacIO, "request", counted)
    with eojobs.connect("stac", page_size=3) as conn:
        everything = conn.search(S2, GLASGOW)
        assert [s.id for s in everything] == [f"S2_{n:02d}" for n in range(S2_SOUTH)]
        assert len(pages) >= -(-S2_SOUTH // 3)  # a page of 3 at a time, not all in one
        assert len(conn.search(S2, GLASGOW, {"limit": 7})) == 7
        # Cloud cover is checked here (rustac has no filter extension): pages go on until
        # the limit is met.
        cloudless = conn.search(S2, GLASGOW, {"max_cloud": 30, "limit": 5})
        assert [s.cloud_cover for s in cloudless] == [0, 4, 8, 12, 16]


def test_a_job_records_the_items_and_downloads_one_folder_per_item(sconn, stac, tmp_path):
    job = sconn.create_job(S2, GLASGOW, {**MAY, "max_cloud": 15, "assets": "B04"}, name="red")
    assert job.price == 0 and job.status is eojobs.JobStatus.CREATED
    job.start_and_wait(poll_interval=0.05, progress=False)
    assert job.status is eojobs.JobStatus.SUCCEEDED and job.progress == 100
    result = job.results()
    assert [(a.execution_id, a.component, a.name) for a in result.assets] == [
        ("S2_02", "B04", "S2_02_B04.tif"), ("S2_03", "B04", "S2_03_B04.tif")]
    assert all(a.checksum and a.size for a in result.assets)
    report = result.download(tmp_path / "out", progress=False)
    assert not report.failed and len(report.done) == 2
    assert tree(tmp_path / "out") == {
        f"{i}/{i}_B04.tif": payload(f"{i}_B04.tif", stac.sizes[f"{i}_B04.tif"])
        for i in ("S2_02", "S2_03")}

    document = result.stac()
    assert document["type"] == "FeatureCollection"
    assert [f["id"] for f in document["features"]] == ["S2_02", "S2_03"]
    hrefs = {a.href for a in result.assets}
    for feature in document["features"]:
        assert list(feature["assets"]) == ["B04"]
        assert feature["assets"]["B04"]["href"] in hrefs
    local = result.stac(tmp_path / "out")
    paths = [f["assets"]["B04"]["href"] for f in local["features"]]
    assert paths == [str((tmp_path / "out" / f"{i}/{i}_B04.tif").resolve())
                     for i in ("S2_02", "S2_03")]


def test_jobs_are_kept_in_the_home_and_seen_by_another_connection(sconn, stac):
    job = sconn.create_job(S2, GLASGOW, MAY, name="kept")
    with eojobs.connect("stac") as other:
        again = other.job(job.id)
        assert again.name == "kept" and again.info.service_id == S2
        assert [j.id for j in other.jobs()] == [job.id]
        assert again.region().bounds == pytest.approx(eojobs.Region.from_file(GLASGOW).bounds)
        again.delete()
    with pytest.raises(eojobs.NotFound):
        job.refresh()
    assert sconn.jobs() == []


def test_an_offline_scene_is_ordered_waited_for_and_scheduled_before(sconn, stac, tmp_path):
    stac.files.fault("cold.bin", offline=1000, status=503, retry_after="1")
    stac.files.fault("staged.bin", offline=2, status=202, retry_after="1")
    job = sconn.create_job("archive", GLASGOW)
    early = job.results().download(tmp_path / "early", progress=False)
    assert len(early.scheduled) == 2 and not early.failed and not early.done
    assert tree(tmp_path / "early") == {}

    job.start()
    assert [s.path for s in stac.files.seen if s.method == "POST"] == ["/order/cold.bin"]
    assert job.refresh().status is eojobs.JobStatus.RUNNING
    job.wait(poll_interval=0.1, timeout=30, progress=False)
    assert job.status is eojobs.JobStatus.SUCCEEDED
    report = job.results().download(tmp_path / "late", progress=False)
    assert len(report.done) == 2 and not report.scheduled
    assert tree(tmp_path / "late") == {"cold/cold.bin": payload("cold.bin", 5000),
                                       "staged/staged.bin": payload("staged.bin", 3000)}


@pytest.mark.parametrize(("fault", "status"), [
    ({"missing": True}, 404),
    # A refusal other than "too many", "too early" or "timeout" will not pass with time either.
    ({"offline": 1000, "status": 403, "retry_after": None}, 403),
])
def test_an_offline_asset_that_disappears_or_is_refused_fails_the_job(sconn, stac, fault,
                                                                       status):
    stac.files.fault("staged.bin", **fault)
    stac.files.fault("cold.bin", offline=1000)
    job = sconn.create_job("archive", GLASGOW)
    with pytest.raises(eojobs.JobFailed, match=r"1 of 2 files cannot be fetched; first "
                                               rf"staged.bin of staged: HTTP {status}"):
        job.start_and_wait(poll_interval=0.05, timeout=30, progress=False)


def test_headers_are_refused_over_plain_http_off_this_machine(monkeypatch):
    monkeypatch.setenv("EOJOBS_STAC_URL", "http://192.0.2.1:9/")
    monkeypatch.setenv("EOJOBS_STAC_TOKEN", "secret-token-value")
    with eojobs.connect("stac") as conn, pytest.raises(eojobs.InputError) as caught:
        conn.services()
    assert str(caught.value) == ("refusing to send the STAC provider's headers over plain "
                                 "http to 192.0.2.1; use https")


def test_missing_and_corrupt_files_fail_alone_and_a_cut_download_resumes(sconn, stac,
                                                                         tmp_path):
    stac.files.fault("big.bin", cut_once=True)
    job = sconn.create_job("faults", GLASGOW)
    job.start_and_wait(poll_interval=0.05, progress=False)
    out = tmp_path / "out"
    report = job.results().download(out, progress=False)
    failed = {p.relative_to(out).as_posix(): why for p, why in report.failed}
    assert set(failed) == {"gone/gone.bin", "corrupt/corrupt.bin"}
    assert "404" in failed["gone/gone.bin"]
    assert "checksum does not match" in failed["corrupt/corrupt.bin"]
    assert tree(out) == {"plain/plain.bin": payload("plain.bin", 4000),
                         "big/big.bin": payload("big.bin", 3 << 20)}
    ranges = [s.headers.get("Range") for s in stac.files.requests_for("big.bin")]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"
    again = job.results().download(out, progress=False)
    assert len(again.skipped) == 2 and len(again.failed) == 2


@pytest.mark.parametrize(("options", "region", "error", "message"), [
    ({}, "10,10,11,11", eojobs.RegionError,
     r"the region \(10, 10, 11, 11\) is outside collection sentinel-2-l2a, which covers "
     r"-6, 55, -3, 58"),
    ({"end_date": "2019-01-01T00:00:00Z"}, GLASGOW, eojobs.OptionError,
     r"end_date 2019-01-01 is before collection sentinel-2-l2a starts \(2024-01-01\)"),
    ({"start_date": "2025-02-01T00:00:00Z"}, GLASGOW, eojobs.OptionError,
     r"start_date 2025-02-01 is after collection sentinel-2-l2a ends"),
    ({"start_date": "2024-06-01T00:00:00Z", "end_date": "2024-05-01T00:00:00Z"}, GLASGOW,
     eojobs.OptionError, r"start_date \(2024-06-01\) must be before end_date"),
    ({"filter": "{not json"}, GLASGOW, eojobs.OptionError, r"option 'filter' is not JSON"),
    ({"filter": "[1]"}, GLASGOW, eojobs.OptionError, r"must be a CQL2-JSON expression"),
    ({"filter": '{"op": "=", "args": [{"property": "platform"}, "x"]}'}, GLASGOW,
     eojobs.Unsupported, r"does not support filters"),
    ({"assets": "B4"}, GLASGOW, eojobs.OptionError,
     r"collection sentinel-2-l2a has no asset 'B4' \(did you mean 'B04'\?\)"),
    ({"max_cloud": 150}, GLASGOW, eojobs.OptionError, r"max_cloud"),
    ({"limit": 2.5}, GLASGOW, eojobs.OptionError, r"whole number"),
])
def test_bad_inputs_are_refused_before_anything_is_kept(sconn, stac, user_dir, options,
                                                        region, error, message):
    with pytest.raises(error, match=message):
        sconn.search(S2, region, options)
    with pytest.raises(error, match=message):
        sconn.create_job(S2, region, options)
    assert sconn.jobs() == []
    assert not (user_dir / "stac").exists()
    assert stac.files.seen == []


def test_an_unknown_collection_and_a_search_that_finds_nothing(sconn, user_dir):
    with pytest.raises(eojobs.NotFound, match=r"no service 'sentinel-3' on stac.*services: "):
        sconn.create_job("sentinel-3", GLASGOW)
    with pytest.raises(eojobs.NotFound, match="no scenes of sentinel-2-l2a match"):
        sconn.create_job(S2, GLASGOW, {"max_cloud": 0, "start_date": "2024-06-01T00:00:00Z"})
    assert not (user_dir / "stac").exists()


def test_search_is_refused_up_front_where_a_backend_cannot(conn):
    with pytest.raises(eojobs.Unsupported, match="the mock backend does not support searching"):
        conn.search("no such service", GLASGOW)


def test_an_asset_key_no_scene_has_is_named_not_taken_for_no_match(sconn):
    with pytest.raises(eojobs.OptionError) as caught:
        sconn.search("archive", GLASGOW, {"assets": "NOPE"})
    assert str(caught.value) == "no scene found has an asset 'NOPE'; they have: data"
    assert sconn.jobs() == []


@pytest.mark.parametrize(("table", "column", "value"), [
    ("jobs", "options", "{bad"), ("jobs", "status", "weird"), ("assets", "asset", "{}"),
    ("assets", "asset", "[1]"),
])
def test_a_damaged_row_in_the_job_store_is_one_clear_error(sconn, table, column, value):
    import sqlite3

    from eojobs_stac.store import database

    job = sconn.create_job(S2, GLASGOW)
    key = "id" if table == "jobs" else "job_id"
    with sqlite3.connect(database()) as db:
        db.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (value, job.id))
    with pytest.raises(eojobs.BackendError) as caught:
        sconn.job(job.id).results()
    assert str(caught.value).startswith(f"the STAC job store {database()} has a damaged row (")
    assert str(caught.value).endswith("); move it away to start afresh")


def test_a_job_store_written_by_a_newer_eojobs_is_refused_not_misread(sconn):
    import sqlite3

    from eojobs_stac.store import database

    job = sconn.create_job(S2, GLASGOW)
    with sqlite3.connect(database()) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(eojobs.BackendError) as caught:
        sconn.job(job.id)
    assert str(caught.value) == (f"the STAC job store {database()} failed: it was written by "
                                 "a newer eojobs")
