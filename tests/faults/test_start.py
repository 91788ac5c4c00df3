"""Starting a job whose execute answer is lost or refused: it runs once, and is charged once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eojobs import BackendError, JobStatus
from eojobs_mock.server.runner import MockServer
from tests.conftest import GLASGOW
from tests.faults.conftest import connect, faulty_server, use

#: Quick pauses between tries, and two repeats at most, to keep the tests fast.
QUICK = {"retries": 2, "backoff": 0.01}


@pytest.fixture
def server(user_dir) -> Iterator[MockServer]:
    running = faulty_server(user_dir, "seed=1")
    try:
        yield running
    finally:
        running.shutdown()


class FaultyExecutes:
    """Wraps a backend's execute call: the server fails the first ``times`` calls as ``spec`` says.

    The plan holds only while an execute is on the wire; ``after`` is the plan
    for the calls that follow it (the reads of the process, say).
    """

    def __init__(self, server: MockServer, client: object, spec: str, times: int,
                 after: str = "seed=1") -> None:
        self.calls = 0
        execute = client.execute  # type: ignore[attr-defined]

        def faulty(org: str, process_id: str) -> object:
            self.calls += 1
            use(server, spec if self.calls <= times else "seed=1")
            try:
                return execute(org, process_id)
            finally:
                use(server, after)

        client.execute = faulty  # type: ignore[attr-defined]


def executes(server: MockServer) -> list[str]:
    """The kinds of the faults injected into execute calls."""
    assert server.faults is not None
    return [e.kind for e in server.faults.events if e.path.endswith("/execute")]


def test_a_start_whose_answer_was_lost_runs_once_and_is_charged_once(server):
    with connect(server, **QUICK) as conn:
        job = conn.create_job("Elevation", GLASGOW, name="lost answer")
        credits = conn.credits()
        sent = FaultyExecutes(server, conn.backend.client, "posts=all,api:lost=1,seed=1", 1)
        job.start()
        use(server, "seed=1")
        assert executes(server) == ["lost"]
        assert sent.calls == 1
        assert job.status in (JobStatus.RUNNING, JobStatus.SUCCEEDED)
        job.wait(poll_interval=0.05, progress=False)
        assert job.status is JobStatus.SUCCEEDED
        assert credits - conn.credits() == pytest.approx(job.price)
        assert len({e.id for e in job.info.executions}) == len(job.info.executions) == 1


def test_a_start_under_a_lost_answers_plan_for_the_whole_call_runs_once(server):
    with connect(server, **QUICK) as conn:
        job = conn.create_job("Elevation", GLASGOW, name="lost answer")
        credits = conn.credits()
        use(server, "posts=all,api:lost=1,seed=1")
        job.start()
        use(server, "seed=1")
        assert server.faults.kinds() == {"lost": 1}
        job.wait(poll_interval=0.05, progress=False)
        assert credits - conn.credits() == pytest.approx(job.price)


def test_a_start_refused_with_5xx_is_repeated_and_runs_once_the_fault_clears(server):
    with connect(server, **QUICK) as conn:
        job = conn.create_job("Elevation", GLASGOW, name="refused twice")
        credits = conn.credits()
        sent = FaultyExecutes(server, conn.backend.client, "posts=all,api:5xx=1,seed=1", 2)
        job.start().wait(poll_interval=0.05, progress=False)
        assert sent.calls == 3
        assert executes(server) == ["5xx", "5xx"]
        assert job.status is JobStatus.SUCCEEDED
        assert credits - conn.credits() == pytest.approx(job.price)
        assert len(job.info.executions) == 1


def test_a_start_refused_every_time_gives_up_after_the_retries(server):
    with connect(server, **QUICK) as conn:
        job = conn.create_job("Elevation", GLASGOW, name="always refused")
        credits = conn.credits()
        sent = FaultyExecutes(server, conn.backend.client, "posts=all,api:5xx=1,seed=1", 99)
        with pytest.raises(BackendError, match="did not take effect after 3 tries") as error:
            job.start()
        assert error.value.transient
        assert sent.calls == 3 == len(executes(server))
        assert job.refresh().status is JobStatus.CREATED
        assert conn.credits() == credits


def test_a_start_is_not_repeated_when_the_job_cannot_be_read(server):
    with connect(server, **QUICK) as conn:
        job = conn.create_job("Elevation", GLASGOW, name="unknown outcome")
        credits = conn.credits()
        sent = FaultyExecutes(server, conn.backend.client, "posts=all,api:lost=1,seed=1", 1,
                              after="api:5xx=1,seed=1")
        with pytest.raises(BackendError, match="took effect is unknown") as error:
            job.start()
        assert not error.value.transient
        assert sent.calls == 1
        use(server, "seed=1")
        job.wait(poll_interval=0.05, progress=False)
        assert job.status is JobStatus.SUCCEEDED
        assert credits - conn.credits() == pytest.approx(job.price)
