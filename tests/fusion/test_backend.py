"""The Fusion backend end to end against `eojobs mock serve` on 127.0.0.1."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone

import pytest

import eojobs
from eojobs import JobStatus
from eojobs.credentials import token_path
from tests.conftest import GLASGOW

BIG = (-4.0, 54.0, -3.0, 54.6)


@pytest.fixture
def fusion(mock_server, monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    monkeypatch.setenv("EOJOBS_FUSION_EMAIL", mock_server.email)
    monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", mock_server.password)
    with eojobs.connect("fusion") as conn:
        yield conn


def test_services_come_with_options_of_every_type(fusion):
    names = {s.name for s in fusion.services()}
    assert {"Elevation", "Cloud Classification", "Vegetation Index",
            "Statistics Aggregator"} <= names
    veg = fusion.service("vegetation")
    kinds = {o.name: o.data_type.value for o in veg.options}
    assert kinds["start_date"] == "datetime" and kinds["index"] == "constrained"
    assert [i.number for i in veg.inputs] == [2]
    assert [s.name for s in fusion.services(search="elevation")] == ["Elevation"]


def test_whole_workflow_matches_the_in_process_mock(fusion, tmp_path):
    job = fusion.create_job("Elevation", GLASGOW, options={"resolution": 30}, name="example")
    assert job.status is JobStatus.CREATED
    assert job.price == 3.29
    job.start_and_wait(progress=False, poll_interval=0.05)
    assert job.status is JobStatus.SUCCEEDED
    report = job.results().download(tmp_path / "fusion", progress=False)
    assert report.ok
    with eojobs.connect("mock") as mock:
        local = mock.create_job("Elevation", GLASGOW, options={"resolution": 30})
        local.start_and_wait(progress=False)
        local_report = local.results().download(tmp_path / "mock", progress=False)
    names = sorted(p.relative_to(tmp_path / "fusion").as_posix() for p in report.done)
    local_names = sorted(p.relative_to(tmp_path / "mock").as_posix() for p in local_report.done)
    assert names == local_names
    for name in names:
        assert (tmp_path / "fusion" / name).read_bytes() == (tmp_path / "mock" / name).read_bytes()
    assert any("started" in e.message for e in job.logs())
    job.delete()
    with pytest.raises(eojobs.NotFound):
        fusion.job(job.id)


def test_the_same_region_is_uploaded_once(fusion, mock_server):
    first = fusion.create_job("Elevation", GLASGOW)
    second = fusion.create_job("Elevation", GLASGOW, options={"resolution": 60})
    requests_before = fusion.backend.client.requests_made
    third = fusion.create_job("Elevation", GLASGOW)
    used = fusion.backend.client.requests_made - requests_before
    assert len({first.id, second.id, third.id}) == 3
    uploaded = list(fusion.backend.client.uploaded_data(fusion.backend.org))
    assert len([d for d in uploaded if d["name"].startswith("eojobs region ")]) == 1
    assert used < 8


def test_a_new_region_reads_only_the_newest_page_of_uploaded_data(fusion):
    client, org = fusion.backend.client, fusion.backend.org
    for n in range(30):  # more than a page of 24
        client.create_data(org, {**client.new_data(org), "organisation_id": org,
                                 "name": f"other {n}"})
    pages = []
    request = client.request

    def spy(method, path, **kwargs):
        if path.endswith("/data/uploaded"):
            pages.append(path)
        return request(method, path, **kwargs)

    client.request = spy
    fusion.create_job("Elevation", GLASGOW)
    assert len(pages) == 2
    pages.clear()
    fusion.create_job("Elevation", BIG)
    assert len(pages) == 1
    pages.clear()
    fusion.create_job("Elevation", GLASGOW, options={"resolution": 60})
    assert len(pages) == 1
    uploaded = list(client.uploaded_data(org))
    assert len([d for d in uploaded if d["name"].startswith("eojobs region ")]) == 2


def test_sliced_region_runs_as_a_group_with_an_aggregator(fusion):
    job = fusion.create_job("Statistics Aggregator", BIG).start_and_wait(
        progress=False, poll_interval=0.05)
    slices = [e for e in job.executions if e.part.startswith("slice-")]
    assert len(slices) > 1
    assert [e.part for e in job.executions if not e.part.startswith("slice-")] == ["aggregate"]
    result = job.results()
    paths = {str(result.relative_path(a)) for a in result.assets}
    assert "aggregate/statistics.csv" in paths


def test_failed_job_raises_with_the_abort_reason(fusion):
    job = fusion.create_job("Failing Demo", GLASGOW, options={"message": "disk full"}).start()
    with pytest.raises(eojobs.JobFailed, match="disk full"):
        job.wait(progress=False, poll_interval=0.05)


def test_option_and_region_errors_upload_and_create_nothing(fusion):
    with pytest.raises(eojobs.OptionError, match="expects a number"):
        fusion.create_job("Elevation", GLASGOW, options={"resolution": "30m"})
    with pytest.raises(eojobs.OptionError, match="must be at least 10"):
        fusion.create_job("Elevation", GLASGOW, options={"resolution": 1})
    with pytest.raises(eojobs.RegionError):
        fusion.create_job("Elevation", "POINT (1 2)")
    assert fusion.jobs() == []
    assert list(fusion.backend.client.uploaded_data(fusion.backend.org)) == []


def test_insufficient_credits_is_mapped(fusion, mock_server):
    with eojobs.connect("mock") as mock:
        mock.backend.platform.set_credits(0)
    job = fusion.create_job("Elevation", GLASGOW)
    with pytest.raises(eojobs.InsufficientCredits):
        job.start()


def test_wrong_password_is_an_authentication_error(mock_server, monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    with eojobs.connect("fusion", email=mock_server.email, password="Wrong-Password-1") as conn:
        with pytest.raises(eojobs.AuthenticationError, match="Incorrect username or password"):
            conn.services()


def test_token_is_cached_0600_and_password_never_written(fusion, mock_server, user_dir):
    fusion.services()
    path = token_path("fusion", f"{mock_server.url}|{mock_server.email}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for file in user_dir.rglob("*"):
        if file.is_file():
            assert mock_server.password.encode() not in file.read_bytes(), file


def test_unknown_job_is_not_found(fusion):
    with pytest.raises(eojobs.NotFound):
        fusion.job("00000000-0000-0000-0000-000000000000")


def test_copy_expiry_dispatchers_credits_and_organisations(fusion):
    from eojobs_fusion import extras

    job = fusion.create_job("Elevation", GLASGOW, name="original")
    available = extras.dispatchers(job)
    assert {d.name for d in available} >= {"Email Dispatcher"}
    email = extras.add_dispatcher(job, "email dispatcher", {"emails": "me@example.com"})
    assert email.attached and email.options["emails"] == "me@example.com"
    extras.remove_dispatcher(job, "Email Dispatcher")
    assert not any(d.attached for d in extras.dispatchers(job))
    copy = extras.copy(job, "again")
    assert copy.name == "again" and copy.status is JobStatus.CREATED
    job.start_and_wait(progress=False, poll_interval=0.05)
    extras.keep_until(job, datetime.now(timezone.utc) + timedelta(days=90))
    assert fusion.credits() > 0
    assert [o.credits for o in extras.organisations(fusion)] == [fusion.credits()]


def test_stop_freezes_a_running_job(user_dir, monkeypatch):
    from eojobs_mock.server.runner import start_server
    from eojobs_mock.server.state import EngineSettings

    settings = EngineSettings(speed=1.0, max_slice_km2=500.0, initial_credits=1000.0)
    with start_server(user_dir, settings=settings) as server:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        with eojobs.connect("fusion", email=server.email, password=server.password) as conn:
            job = conn.create_job("Elevation", GLASGOW).start()
            assert job.refresh().status is JobStatus.RUNNING
            with pytest.raises(eojobs.WaitTimeout):
                job.wait(timeout=0.2, poll_interval=0.05, progress=False)
            job.stop()
            assert job.refresh().status is JobStatus.STOPPED
            with pytest.raises(eojobs.JobFailed, match="was stopped"):
                job.wait(progress=False)


def test_an_expired_token_logs_in_again_once(user_dir, monkeypatch):
    import time

    from eojobs_mock.server.runner import start_server
    from eojobs_mock.server.state import ServerOptions

    with start_server(user_dir, options=ServerOptions(token_lifetime_s=1.0)) as server:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        with eojobs.connect("fusion", email=server.email, password=server.password) as conn:
            first = conn.services()
            token = conn.backend.client.token
            time.sleep(2.1)  # whole-second expiry: a 1 s token ends within 2 s
            assert [s.id for s in conn.services()] == [s.id for s in first]
            assert conn.backend.client.token != token
            user_id = conn.backend.auth.user_id
        with eojobs.connect("fusion", email=server.email) as no_password:
            no_password.backend.client.token = token
            no_password.backend.auth.user_id = user_id
            with pytest.raises(eojobs.AuthenticationError, match="log in again"):
                no_password.services()


def test_schedule_is_sent_and_read_back(fusion):
    start = datetime.now(timezone.utc) + timedelta(days=1)
    job = fusion.create_job("Elevation", GLASGOW, schedule={
        "start_at": start, "repeat_count": 3, "repeat_every": timedelta(days=1)})
    assert job.info.schedule is not None
    assert job.info.schedule.repeat_count == 3
    assert job.info.schedule.repeat_every == timedelta(days=1)
    assert job.start().status is JobStatus.SCHEDULED
    assert json.loads(json.dumps(job.info.model_dump(mode="json")))["schedule"]


def test_services_are_found_by_ssd_id_and_keyword(fusion):
    elevation = fusion.service("Elevation")
    ssd = elevation.aliases[0]
    assert ssd != elevation.id
    assert fusion.service(ssd).id == elevation.id
    assert fusion.service("terrain").id == elevation.id
    with pytest.raises(eojobs.AmbiguousName, match="'classification' matches several services"):
        fusion.service("classification")


def test_a_validation_error_from_the_server_keeps_its_message(fusion):
    from eojobs.backend import JobRequest

    service = fusion.service("Elevation")
    request = JobRequest(service=service, region=eojobs.Region.parse(str(GLASGOW)),
                         options={"resolution": 1}, name="bypassing the core")
    with pytest.raises(eojobs.InputError, match="resolution") as info:
        fusion.backend.submit(request)
    assert "POST /organisations/" in str(info.value)


def test_waiting_on_many_fusion_jobs_uses_the_process_listing(fusion):
    jobs = [fusion.create_job("Elevation", GLASGOW, options={"resolution": 30 + i}).start()
            for i in range(5)]
    before = fusion.backend.client.requests_made
    done = fusion.wait_all(jobs, poll_interval=0.05, progress=False)
    used = fusion.backend.client.requests_made - before
    assert all(j.status is JobStatus.SUCCEEDED for j in done)
    assert all(j.progress == 100 for j in done)
    assert used <= 2 * len(jobs) + 2


def test_timeouts_and_retries_are_settings(monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_RETRIES", "1")
    monkeypatch.setenv("EOJOBS_FUSION_BACKOFF", "0.01")
    with eojobs.connect("fusion", api_url="http://127.0.0.1:9", read_timeout=5) as conn:
        policy = conn.backend.client.policy
        assert (policy.retries, policy.backoff, policy.read_timeout) == (1, 0.01, 5)
        with pytest.raises(eojobs.BackendError, match="could not connect to 127.0.0.1:9"):
            conn.backend.client.login("me@org.com", None, "x")
