"""A stopped or failed job shows the same progress in-process (-b mock) and over Fusion.

The Fusion Platform puts an ended execution at 100% however it ended (the
guide: at 100% an execution is complete, and ``success`` says how), so an
ended job is at 100% on both sides; its status says how it ended. The clock
runs so slowly that nothing ends by itself while a test looks.
"""

from __future__ import annotations

import pytest

import eojobs
from eojobs import JobStatus
from eojobs.models import ExecutionStatus
from tests.conftest import DATA, GLASGOW

CRAWL = 0.0001


@pytest.fixture
def both(mock_server, monkeypatch):
    """The in-process mock on a crawling clock, and Fusion through the mock server."""
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    with eojobs.connect("mock", speed=CRAWL) as mock, \
            eojobs.connect("fusion", email=mock_server.email,
                           password=mock_server.password) as fusion:
        yield mock, fusion


@pytest.mark.parametrize("region", [GLASGOW, DATA / "lake_district.geojson"],
                         ids=["one execution", "a group"])
def test_a_stopped_job_is_at_100_percent_on_both_sides(both, region):
    mock, fusion = both
    job = mock.create_job("Elevation", region).start()
    assert job.status is JobStatus.RUNNING and job.progress < 100
    job.stop()
    here = job.refresh()
    there = fusion.job(job.id)
    assert here.status is there.status is JobStatus.STOPPED
    assert here.progress == there.progress == 100
    assert {e.status for e in here.executions} == {ExecutionStatus.STOPPED}
    assert [e.progress for e in here.executions] == [e.progress for e in there.executions]


def test_a_job_stopped_over_fusion_reads_the_same_in_process(both):
    mock, fusion = both
    job = mock.create_job("Elevation", GLASGOW).start()
    fusion.job(job.id).stop()
    assert mock.job(job.id).progress == fusion.job(job.id).progress == 100


def test_a_failed_job_is_at_100_percent_on_both_sides(mock_server, monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    with eojobs.connect("mock") as mock, \
            eojobs.connect("fusion", email=mock_server.email,
                           password=mock_server.password) as fusion:
        job = mock.create_job("Failing Demo", GLASGOW).start()
        with pytest.raises(eojobs.JobFailed):
            job.wait(progress=False)
        there = fusion.job(job.id)
        assert job.status is there.status is JobStatus.FAILED
        assert job.progress == there.progress == 100
