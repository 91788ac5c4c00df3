from __future__ import annotations

import threading

import pytest

import eojobs
from eojobs import EOJobsError, JobStatus, WaitTimeout
from eojobs.backend import Backend
from eojobs.models import Capability
from eojobs.plugins import backend_classes
from eojobs_mock.backend import MockBackend
from tests.conftest import GLASGOW, registered


def test_wait_works_on_a_job_started_by_another_connection(conn):
    started = conn.create_job("Elevation", GLASGOW).start()
    with eojobs.connect("mock") as elsewhere:
        job = elsewhere.job(started.id).wait(progress=False)
    assert job.status is JobStatus.SUCCEEDED
    assert job.progress == 100


def test_job_can_be_found_by_a_prefix_of_its_id(conn):
    job = conn.create_job("Elevation", GLASGOW)
    assert conn.job(job.id[:8]).id == job.id


def test_waiting_on_a_job_never_started_says_how_to_start_it(conn):
    job = conn.create_job("Elevation", GLASGOW)
    with pytest.raises(eojobs.NotStarted, match="has not been started") as info:
        job.wait(progress=False)
    assert info.value.job_ids == [job.id] and "eojobs" not in str(info.value)
    with pytest.raises(eojobs.NotStarted) as info:
        conn.wait_all([job], progress=False)
    assert info.value.job_ids == [job.id]


def test_timeout_raises_and_leaves_the_job_running(user_dir):
    with eojobs.connect("mock", speed=1) as conn:
        job = conn.create_job("Elevation", GLASGOW).start()
        with pytest.raises(WaitTimeout) as info:
            job.wait(timeout=0.05, poll_interval=0.01, progress=False)
        assert info.value.job_ids == [job.id] and info.value.job.id == job.id
        assert "eojobs" not in str(info.value)  # the CLI words its own hints
        assert job.refresh().status is JobStatus.RUNNING


def test_results_before_any_output_say_to_wait(user_dir):
    with eojobs.connect("mock", speed=1) as conn:
        job = conn.create_job("Elevation", GLASGOW).start()
        with pytest.raises(EOJobsError, match="has no results yet"):
            job.results()


def test_poll_intervals_back_off_to_the_slowest():
    from eojobs.waiting import poll_intervals

    ticks = poll_intervals(1, 4)
    assert [next(ticks) for _ in range(6)] == [1, 1.5, 2.25, 3.375, 4, 4]


def wait_one(fetch, **kwargs):
    """Wait, through the core's one loop, for the one job ``fetch`` reports (id "j")."""
    from eojobs.waiting import wait_for_jobs

    return wait_for_jobs(lambda _: [fetch()], ["j"], progress=False, label="j", **kwargs)["j"]


def test_wait_polls_until_finished_and_never_sleeps_past_the_timeout():
    from eojobs.models import JobInfo

    now = [0.0]
    sleeps: list[float] = []
    states = iter(["running", "running", "running", "succeeded"])

    def fetch() -> JobInfo:
        return JobInfo(id="j", name="j", service_id="s", service_name="s",
                       status=JobStatus(next(states)))

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    info = wait_one(fetch, timeout=None, intervals=(1, 2), sleep=sleep, clock=lambda: now[0])
    assert info.status is JobStatus.SUCCEEDED
    assert sleeps == [1, 1.5, 2]
    states = iter(["running"] * 10)
    sleeps.clear()
    now[0] = 0
    with pytest.raises(WaitTimeout):
        wait_one(fetch, timeout=2.0, intervals=(1, 2), sleep=sleep, clock=lambda: now[0])
    assert sum(sleeps) == pytest.approx(2.0)


class NoStopBackend(MockBackend):
    """A mock without stop or logs, to prove the core refuses up front."""

    name = "nostop"
    capabilities = frozenset({Capability.PRICE})
    # A backend lacks a feature by not having its method: these are Backend's defaults.
    stop = Backend.stop
    logs = Backend.logs

    def list_services(self, search=None):
        services = super().list_services(search)
        twin = services[0].model_copy(update={"id": "twin", "name": "Elevation Contours"})
        return [*services, twin]


@pytest.fixture
def nostop():
    with registered(NoStopBackend):
        yield


def test_a_third_party_backend_registers_and_missing_capabilities_are_refused(nostop):
    assert "nostop" in backend_classes()
    with eojobs.connect("nostop") as conn:
        job = conn.create_job("Elevation", GLASGOW).start()
        with pytest.raises(eojobs.Unsupported, match="does not support stopping jobs"):
            job.stop()
        with pytest.raises(eojobs.Unsupported, match="does not support job logs"):
            job.logs()
        with pytest.raises(eojobs.Unsupported, match="does not support scheduled jobs"):
            conn.create_job("Elevation", GLASGOW, schedule={"start_at": "2030-01-01T00:00:00"})
        with pytest.raises(eojobs.NotFound, match=r"no service 'elev' on nostop \(did you mean "
                           r"'Elevation' or 'Elevation Contours'\?\)"):
            conn.service("elev")
        assert conn.service("elevation").name == "Elevation"
        assert conn.service("elevation contours").name == "Elevation Contours"


def test_ambiguous_and_unknown_services(conn):
    # Part of a word is never enough: running a service costs credits.
    for ref in ("e", "elev", "Elevatoin"):
        with pytest.raises(eojobs.NotFound) as info:
            conn.service(ref)
        assert str(info.value).startswith(
            f"no service {ref!r} on mock (did you mean 'Elevation'?); services: Elevation, ")
    assert conn.service("ELEVATION").name == "Elevation"
    assert conn.service("vegetation").name == "Vegetation Index"
    assert conn.service("ndvi").name == "Vegetation Index"
    with pytest.raises(eojobs.AmbiguousName, match="'demo' matches several services"):
        conn.service("demo")
    assert conn.service("0b6c2a5e-5d1e-4c1b-9d3e-000000000001").name == "Elevation"
    with pytest.raises(eojobs.NotFound, match="no service 'nope'"):
        conn.service("nope")
    with pytest.raises(eojobs.InputError, match="bad schedule"):
        conn.create_job("Elevation", GLASGOW, schedule={"start_at": "2030-01-01",
                                                        "repeat_count": 3})


def test_unknown_backend():
    with pytest.raises(eojobs.ConfigError, match="no backend named 'zzz'; installed backends"):
        eojobs.connect("zzz")


def test_many_threads_can_share_one_connection(conn):
    jobs = [conn.create_job("Elevation", GLASGOW) for _ in range(6)]
    errors: list[BaseException] = []

    def work(job: eojobs.Job) -> None:
        try:
            job.start_and_wait(progress=False)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(j.status is JobStatus.SUCCEEDED for j in jobs)


def test_wait_all_follows_many_jobs_with_one_batch_call_per_interval(user_dir):
    calls: list[list[str]] = []
    with eojobs.connect("mock", speed=200) as conn:
        original = conn.backend.get_jobs

        def counting(ids):
            calls.append(list(ids))
            return original(ids)

        conn.backend.get_jobs = counting
        jobs = [conn.create_job(s, GLASGOW, options=o).start() for s, o in [
            ("Elevation", {}), ("Failing Demo", {}), ("Statistics Aggregator", {})]]
        done = conn.wait_all(jobs, poll_interval=0.005, progress=False)
    assert [j.status for j in done] == [JobStatus.SUCCEEDED, JobStatus.FAILED,
                                        JobStatus.SUCCEEDED]
    assert len(calls) > 1
    assert calls[0] == [j.id for j in jobs]
    assert all(len(c) <= 3 for c in calls)
    assert calls[-1] == [jobs[0].id]


def test_soft_errors_are_ridden_out_within_the_budget():
    from eojobs.errors import BackendError
    from eojobs.models import JobInfo
    from eojobs.waiting import WaitPolicy

    def info(status: str) -> JobInfo:
        return JobInfo(id="j", name="j", service_id="s", service_name="s",
                       status=JobStatus(status))

    def script(steps):
        it = iter(steps)

        def fetch() -> JobInfo:
            step = next(it)
            if isinstance(step, Exception):
                raise step
            return info(step)

        return fetch

    drop = BackendError("connection refused", transient=True)
    steps = ["running", drop, drop, drop, "running", drop, drop, drop, "succeeded"]
    done = wait_one(script(steps), timeout=None, intervals=(1, 1), sleep=lambda s: None,
                    policy=WaitPolicy(soft_errors=3))
    assert done.status is JobStatus.SUCCEEDED
    with pytest.raises(BackendError, match="connection refused"):
        wait_one(script(["running", drop, drop, drop, drop, "succeeded"]), timeout=None,
                 intervals=(1, 1), sleep=lambda s: None, policy=WaitPolicy(soft_errors=3))
    with pytest.raises(BackendError, match="denied"):
        wait_one(script([BackendError("denied", transient=False)]), timeout=None,
                 intervals=(1, 1), sleep=lambda s: None)
    clock = iter(range(0, 10_000, 100))
    with pytest.raises(BackendError):
        wait_one(script(["running"] + [drop] * 20), timeout=None, intervals=(1, 1),
                 sleep=lambda s: None, clock=lambda: next(clock),
                 policy=WaitPolicy(soft_errors=100, soft_error_seconds=250))


def test_every_wait_checks_its_timeout_and_interval(conn, glasgow):
    job = conn.create_job("Elevation", glasgow)
    job.start()
    for bad in ({"timeout": -1}, {"timeout": float("nan")}, {"poll_interval": 0},
                {"poll_interval": float("inf")}):
        with pytest.raises(eojobs.InputError):
            conn.wait_all([job], progress=False, **bad)
        with pytest.raises(eojobs.InputError):
            job.wait(progress=False, **bad)


def test_a_backend_wait_rides_out_transient_errors_too():
    from eojobs.errors import BackendError
    from eojobs.waiting import poll_until

    answers = iter([BackendError("reset", transient=True), [], BackendError("503", transient=True),
                    ["ready"]])

    def fetch():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert poll_until(fetch, bool, timeout=60, intervals=(1, 1), what="x",
                      sleep=lambda s: None) == ["ready"]
