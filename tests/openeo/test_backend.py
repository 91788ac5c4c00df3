"""The openEO backend against openeo-driver's own app and dummy back-end on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest

import eojobs
from eojobs.models import DataType, JobStatus
from tests.conftest import GLASGOW
from tests.openeo.conftest import files
from tests.openeo.harness import data_bytes


@pytest.fixture
def region():
    return eojobs.Region.from_file(GLASGOW)


def test_services_are_the_accounts_processes_with_options_from_their_schemas(oconn):
    assert sorted(s.id for s in oconn.services()) == ["ndvi", "noregion"]
    assert [s.id for s in oconn.services(search="mean ndvi")] == ["ndvi"]
    service = oconn.service("ndvi")
    options = {o.name: o for o in service.options}
    assert "aoi" not in options  # the region parameter is not an option
    assert (options["threshold"].data_type, options["threshold"].minimum,
            options["threshold"].maximum, options["threshold"].default) == (
        DataType.NUMBER, 0, 1, 0.5)
    assert options["window"].data_type is DataType.INTEGER and options["window"].maximum == 9
    assert options["fail"].data_type is DataType.BOOLEAN
    assert options["method"].allowed == ["mean", "median"]
    assert options["label"].data_type is DataType.STRING
    assert options["day"].data_type is DataType.DATE and not options["day"].required
    assert options["moment"].data_type is DataType.DATETIME
    assert options["bands"].data_type is DataType.JSON
    assert json.loads(options["bands"].default) == ["B04", "B08"]


def test_a_job_calls_the_process_with_the_region_and_the_options(oconn, region, openeo_env):
    job = oconn.create_job("ndvi", region, name="first",
                           options={"window": 4, "day": "2024-05-01T00:00:00Z",
                                    "moment": "2024-05-01T10:30:00+02:00",
                                    "bands": '["B02"]', "method": "MEDIAN"})
    assert job.status is JobStatus.CREATED and job.price is None  # no estimate is offered
    sent = openeo_env.session.get(f"{openeo_env.url}/jobs/{job.id}").json()
    node = sent["process"]["process_graph"]["run"]
    assert (node["process_id"], node["namespace"]) == ("ndvi", "user")
    arguments = node["arguments"]
    assert arguments["aoi"]["type"] == "Polygon"
    assert (arguments["window"], arguments["day"], arguments["moment"], arguments["bands"],
            arguments["method"], arguments["threshold"]) == (
        4, "2024-05-01", "2024-05-01T08:30:00Z", ["B02"], "median", 0.5)
    assert sent["title"] == "first"


def test_a_job_not_finished_has_no_results_yet(oconn, region):
    # The back-end answers JobNotFinished (400); that is no results, not bad input.
    job = oconn.create_job("ndvi", region)
    assert oconn.backend.list_assets(job.id) == []
    with pytest.raises(eojobs.NoResults, match="has not been started"):
        job.results()
    job.start()
    assert oconn.backend.list_assets(job.id) == []
    with pytest.raises(eojobs.NoResults, match="no results yet"):
        job.results()


def test_a_back_end_prices_jobs_only_where_it_lists_the_estimate(oconn, openeo_server,
                                                                 monkeypatch):
    assert eojobs.Capability.PRICE not in oconn.capabilities
    assert eojobs.Capability.PRICE in type(oconn.backend).features()  # it may, on another
    monkeypatch.setattr(openeo_server.listing, "extra_endpoints",
                        [{"path": "/jobs/{job_id}/estimate", "methods": ["GET"]}])
    with eojobs.connect("openeo") as listed:
        assert eojobs.Capability.PRICE in listed.capabilities


def test_options_that_do_not_fit_their_schema_are_refused_before_a_job_is_made(oconn, region):
    with pytest.raises(eojobs.OptionError, match="at most 9"):
        oconn.create_job("ndvi", region, options={"window": 12})
    with pytest.raises(eojobs.OptionError, match="whole number"):
        oconn.create_job("ndvi", region, options={"window": 2.5})
    with pytest.raises(eojobs.OptionError, match="expects JSON"):
        oconn.create_job("ndvi", region, options={"bands": "[B02"})
    with pytest.raises(eojobs.OptionError, match="expects a date"):
        oconn.create_job("ndvi", region, options={"day": "2024-05-01T10:00:00Z"})
    assert oconn.jobs() == []


def test_a_process_without_a_region_parameter_is_listed_but_takes_no_job(oconn, region):
    with pytest.raises(eojobs.Unsupported, match="noregion has no region parameter"):
        oconn.create_job("noregion", region)


def test_start_wait_results_download_and_delete(oconn, region, tmp_path):
    job = oconn.create_job("ndvi", region, name="run")
    job.start()
    assert job.status in (JobStatus.RUNNING, JobStatus.SUCCEEDED)
    job.wait(poll_interval=0.05, progress=False)
    assert job.status is JobStatus.SUCCEEDED and job.progress == 100
    result = job.results()
    by_name = {a.name: a for a in result.assets}
    assert sorted(by_name) == ["data.bin", "region.geojson"]
    assert by_name["data.bin"].size == len(data_bytes(job.id))
    assert by_name["region.geojson"].media_type == "application/geo+json"
    assert by_name["data.bin"].roles == ["data"]
    report = result.download(tmp_path, progress=False)
    assert not report.failed
    got = files(tmp_path)
    assert got["data.bin"] == data_bytes(job.id)
    assert json.loads(got["region.geojson"])["type"] == "Polygon"
    job.delete()
    with pytest.raises(eojobs.NotFound, match="does not exist"):
        job.refresh()


def test_a_download_resumes_from_an_offset_with_a_range(oconn, region):
    job = oconn.create_job("ndvi", region).start_and_wait(poll_interval=0.05, progress=False)
    asset = next(a for a in job.results().assets if a.name == "data.bin")
    with oconn.backend.open_asset(asset, 1000) as stream:
        assert stream.read() == data_bytes(job.id)[1000:]


def test_jobs_are_listed_newest_first_and_read_in_one_listing(oconn, region, openeo_env):
    first = oconn.create_job("ndvi", region, name="a")
    time.sleep(1.1)  # the back-end keeps creation times to the second
    second = oconn.create_job("ndvi", region, name="b")
    listed = [j.id for j in oconn.jobs()]
    assert listed.index(second.id) < listed.index(first.id)
    before = oconn.backend.client.session
    sent = []
    before.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.path_url))
    states = oconn.backend.get_jobs([first.id, second.id])
    assert [s.id for s in states] == [first.id, second.id]
    assert sent == ["/openeo/1.2/jobs"]
    assert [s.service_id for s in states] == ["ndvi", "ndvi"]  # remembered from the reads
    with pytest.raises(eojobs.NotFound, match="no openEO job j-nope"):
        oconn.backend.get_jobs([first.id, "j-nope"])


def test_a_listing_names_the_process_of_jobs_read_by_another_connection(oconn, region):
    made = oconn.create_job("ndvi", region)
    with eojobs.connect("openeo") as fresh:
        assert [(j.id, j.info.service_id) for j in fresh.jobs()] == [(made.id, "ndvi")]
        assert [j.id for j in fresh.jobs(service="ndvi")] == [made.id]


def test_stop_takes_effect(openeo_env, region, monkeypatch, openeo_server):
    monkeypatch.setattr(openeo_server.batch_jobs, "run_seconds", 3600.0)
    with eojobs.connect("openeo") as conn:
        job = conn.create_job("ndvi", region).start()
        job.stop()
        assert job.status is JobStatus.STOPPED
        with pytest.raises(eojobs.JobFailed, match="stopped"):
            job.wait(progress=False)


def test_a_failed_job_carries_its_error_from_the_logs(oconn, region):
    job = oconn.create_job("ndvi", region, options={"fail": True}).start()
    with pytest.raises(eojobs.JobFailed, match="the process failed on purpose"):
        job.wait(poll_interval=0.05, progress=False)
    assert job.info.error == "the process failed on purpose"
    assert [(e.level, e.message) for e in job.logs()] == [
        ("info", "processing started"), ("error", "the process failed on purpose")]
    assert [e.message for e in job.logs(level="error")] == ["the process failed on purpose"]


def test_the_token_goes_only_to_the_back_ends_own_origin(oconn, region, openeo_server,
                                                          monkeypatch):
    import http.server
    import threading

    seen = []

    class Asset(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers.get("Authorization"))
            body = b"signed elsewhere"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Asset)
    threading.Thread(target=elsewhere.serve_forever, daemon=True).start()
    href = f"http://localhost:{elsewhere.server_port}/signed/note.txt?sig=abc"
    monkeypatch.setattr(openeo_server.batch_jobs, "public_assets", {"note.txt": href})
    try:
        job = oconn.create_job("ndvi", region).start_and_wait(poll_interval=0.05,
                                                              progress=False)
        note = next(a for a in job.results().assets if a.name == "note.txt")
        assert note.href == href
        with oconn.backend.open_asset(note) as stream:
            assert stream.read() == b"signed elsewhere"
    finally:
        elsewhere.shutdown()
    assert seen == [None]


# --- Bad answers ---


def test_an_unknown_job_is_not_found_with_the_servers_message(oconn):
    with pytest.raises(eojobs.NotFound) as caught:
        oconn.job("j-0000")
    text = str(caught.value)
    assert "The batch job 'j-0000' does not exist." in text and "JobNotFound" in text
    assert "\n" not in text


def test_an_unknown_service_is_not_found(oconn):
    with pytest.raises(eojobs.NotFound, match="no service 'nothing' on openeo"):
        oconn.service("nothing")
    with pytest.raises(eojobs.NotFound, match="ProcessGraphNotFound"):
        oconn.backend.get_service("nothing")


def test_a_wrong_password_is_an_authentication_error(account):
    with eojobs.connect("openeo", url=account.server.url, username=account.username,
                        password="wrong") as conn:
        with pytest.raises(eojobs.AuthenticationError, match="CredentialsInvalid"):
            conn.services()


def test_a_request_without_a_token_gets_401_as_an_authentication_error(oconn):
    with pytest.raises(eojobs.AuthenticationError,
                       match=r"^GET /jobs: Unauthorized. \(AuthenticationRequired, request r-"):
        oconn.backend.client.request("GET", "/jobs", auth=False)


def test_no_credentials_say_how_to_give_them(openeo_server):
    with eojobs.connect("openeo", url=openeo_server.url) as conn:
        with pytest.raises(eojobs.AuthenticationError, match="EOJOBS_OPENEO_PASSWORD"):
            conn.services()


def test_a_refused_token_is_replaced_once(oconn, openeo_env):
    oconn.services()
    oconn.backend.client.token = "basic//not-a-token"
    assert [s.id for s in oconn.services(search="ndvi")] == ["ndvi"]
    assert oconn.backend.client.token != "basic//not-a-token"


def test_the_token_is_cached_between_connections(openeo_env, openeo_server):
    with eojobs.connect("openeo") as conn:
        conn.services()
        token = conn.backend.client.token
    openeo_server.listing.paths.clear()
    with eojobs.connect("openeo") as conn:
        conn.services()
        assert conn.backend.client.token == token
    # The dummy gives a user the same token every time: only no second login proves the cache.
    assert not [p for p in openeo_server.listing.paths if p.endswith("/credentials/basic")]


def test_a_server_error_is_a_transient_backend_error(oconn, openeo_server, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(openeo_server.batch_jobs, "get_user_jobs", broken)
    with pytest.raises(eojobs.BackendError) as caught:
        oconn.backend.list_jobs()
    assert caught.value.transient
    assert "(Internal, request r-" in str(caught.value)


def test_the_estimate_is_asked_only_where_the_capabilities_list_it(oconn, region,
                                                                   openeo_server, monkeypatch):
    openeo_server.listing.paths.clear()
    job = oconn.create_job("ndvi", region)
    assert job.price is None
    assert not [p for p in openeo_server.listing.paths if p.endswith("/estimate")]

    monkeypatch.setattr(openeo_server.listing, "extra_endpoints",
                        [{"path": "/jobs/{job_id}/estimate", "methods": ["GET"]}])
    with eojobs.connect("openeo") as listed:  # capabilities are read once per connection
        other = listed.create_job("ndvi", region)
    assert other.price is None  # the driver lists it now, but answers 501 Not Implemented
    assert [p for p in openeo_server.listing.paths if p.endswith("/estimate")] == \
        [f"/openeo/1.2/jobs/{other.id}/estimate"]


def test_an_estimate_that_fails_keeps_the_job_unpriced_and_says_why(openeo_env, region,
                                                                    openeo_server, monkeypatch,
                                                                    caplog):
    monkeypatch.setattr(openeo_server.listing, "extra_endpoints",
                        [{"path": "/jobs/{job_id}/estimate", "methods": ["GET"]}])
    monkeypatch.setattr(openeo_server.listing, "faults", {"/estimate": (500, {
        "code": "Internal", "message": "estimator down", "id": "r-1"})})
    with eojobs.connect("openeo") as conn:
        job = conn.create_job("ndvi", region)
        assert job.price is None
        assert [j.id for j in conn.jobs()] == [job.id]
    assert f"job {job.id} has no price: GET /jobs/{job.id}/estimate: estimator down" in \
        caplog.text


def test_a_failed_job_whose_error_logs_cannot_be_read_still_reads_as_failed(
        oconn, region, openeo_server, monkeypatch, caplog):
    job = oconn.create_job("ndvi", region, options={"fail": True}).start()
    monkeypatch.setattr(openeo_server.listing, "faults", {"/logs": (500, {
        "code": "Internal", "message": "log store down"})})
    with pytest.raises(eojobs.JobFailed) as caught:
        job.wait(poll_interval=0.05, progress=False)
    assert job.status is JobStatus.FAILED and job.info.error is None
    assert str(caught.value).startswith(
        f"job {job.id} (ndvi) failed: no reason given (its logs could not be read: GET /jobs/")
    assert str(caught.value).endswith("/logs: log store down (Internal))")
    assert "cannot read the error logs of job" in caplog.text


def test_an_estimate_maps_to_a_price():
    from eojobs_openeo.mapping import estimate

    assert estimate({"costs": 12.5, "duration": "P1D"}) == 12.5
    assert estimate({"duration": "P1D"}) is None


def test_openeo_next_links_that_loop_are_an_error(oconn, openeo_server, monkeypatch):
    url = f"{openeo_server.url}/openeo/1.2/process_graphs"
    monkeypatch.setattr(openeo_server.listing, "faults", {"/process_graphs": (200, {
        "processes": [], "links": [{"rel": "next", "href": url}]})})
    with pytest.raises(eojobs.BackendError, match="GET /process_graphs: the pages do not end"):
        oconn.services()
