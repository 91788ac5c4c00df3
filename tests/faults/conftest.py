"""A mock server that fails requests on purpose, and the Fusion backend connected to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import eojobs
from eojobs_mock.server.faults import parse_faults
from eojobs_mock.server.runner import MockServer, start_server
from eojobs_mock.server.state import EngineSettings
from tests.conftest import FAST

#: A region the mock cuts into 32 slices of 4 files each, plus the aggregated files.
WIDE = (-4.0, 54.0, -2.0, 55.0)
SLICE_KM2 = 500.0


def faulty_server(home: Path, faults: str) -> MockServer:
    """`eojobs mock serve --faults` in-process, slicing regions finely and never short of credit."""
    settings = EngineSettings(speed=float(FAST), max_slice_km2=SLICE_KM2, initial_credits=1e9)
    return start_server(home, settings=settings, faults=faults)


@pytest.fixture
def fusion_env(monkeypatch: pytest.MonkeyPatch):
    """Point the Fusion backend (here and in child processes) at a server."""

    def point(server: MockServer) -> None:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        monkeypatch.setenv("EOJOBS_FUSION_EMAIL", server.email)
        monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", server.password)

    return point


def use(server: MockServer, spec: str) -> None:
    """Give a running faulty server a new fault plan (a SPEC) from now on."""
    assert server.faults is not None
    server.faults.plan = parse_faults(spec)


def connect(server: MockServer, **settings: Any) -> eojobs.Connection:
    """The Fusion backend, logged in to ``server``'s demo account, with any other settings."""
    return eojobs.connect("fusion", api_url=server.url, email=server.email,
                          password=server.password, **settings)


def finished_job(server: MockServer, region: Any, name: str) -> tuple[Any, Any]:
    """Run an Elevation job on ``server`` to its end; the job and its results."""
    with connect(server) as conn:
        job = conn.create_job("Elevation", region, name=name).start_and_wait(
            progress=False, poll_interval=0.05)
        assert job.status is eojobs.JobStatus.SUCCEEDED
        return job, job.results()
