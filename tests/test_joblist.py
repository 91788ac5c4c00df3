"""Listing jobs with filters, and finding one by a prefix of its id, on the in-process mock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import eojobs
from eojobs import JobStatus
from eojobs.backend import Backend, JobHints
from eojobs_mock.backend import MockBackend
from tests.conftest import GLASGOW, TWINS, registered


def made(conn: eojobs.Connection) -> dict[str, eojobs.Job]:
    """Jobs oldest first: two Elevation jobs succeeded, one failed, two never started.

    The newest is of another service.
    """
    jobs = {
        "old": conn.create_job("Elevation", GLASGOW, name="old").start(),
        "failed": conn.create_job("Failing Demo", GLASGOW, name="failed").start(),
        "done": conn.create_job("Elevation", GLASGOW, name="done").start(),
        "idle": conn.create_job("Elevation", GLASGOW, name="idle"),
        "new": conn.create_job("Statistics Aggregator", GLASGOW, name="new"),
    }
    conn.wait_all([jobs[k] for k in ("old", "failed", "done")], progress=False,
                  poll_interval=0.01)
    return jobs


def names(jobs: list[eojobs.Job]) -> list[str]:
    return [j.name for j in jobs]


def test_filters_choose_jobs_newest_first(conn):
    made(conn)
    assert names(conn.jobs()) == ["new", "idle", "done", "failed", "old"]
    assert names(conn.jobs(status=JobStatus.SUCCEEDED)) == ["done", "old"]
    assert names(conn.jobs(status="FAILED")) == ["failed"]
    assert names(conn.jobs(status=["created", JobStatus.FAILED])) == ["new", "idle", "failed"]
    assert names(conn.jobs(status=[])) == names(conn.jobs())
    assert names(conn.jobs(service="elevation")) == ["idle", "done", "old"]
    stats = conn.service("Statistics Aggregator")
    assert names(conn.jobs(service=stats.id.upper())) == ["new"]
    assert names(conn.jobs(service=stats)) == ["new"]
    assert names(conn.jobs(limit=2)) == ["new", "idle"]
    assert names(conn.jobs(service="Elevation", status="succeeded", limit=1)) == ["done"]
    assert conn.jobs(service="Cloud Classification") == []


def test_since_keeps_jobs_created_at_or_after_it(conn):
    jobs = made(conn)
    since = jobs["done"].info.created_at
    assert names(conn.jobs(since=since)) == ["new", "idle", "done"]
    in_paris = since.astimezone(timezone(timedelta(hours=2)))
    assert names(conn.jobs(since=in_paris, limit=1)) == ["new"]
    assert conn.jobs(since=datetime.now(timezone.utc) + timedelta(days=1)) == []


@pytest.mark.parametrize(("filters", "message"), [
    ({"limit": 0}, "limit must be at least 1, not 0"),
    ({"limit": -3}, "limit must be at least 1, not -3"),
    ({"limit": "3"}, "limit must be a whole number of jobs, not '3'"),
    ({"limit": True}, "limit must be a whole number of jobs, not True"),
    ({"since": datetime(2025, 1, 1)},
     "since must say its time zone: 2025-01-01T00:00:00 has none; give e.g. "
     "datetime(2025, 1, 1, tzinfo=timezone.utc)"),
    ({"since": "yesterday"}, "since must be a datetime, not 'yesterday'"),
    ({"status": "done"}, "unknown job status 'done'; use one of created, scheduled, running, "
                         "succeeded, failed, stopped"),
    ({"status": 3}, "status must be a job status or several, not 3"),
    ({"status": [None]}, "status must be a job status (created, scheduled, running, "
                         "succeeded, failed, stopped), not None"),
    ({"service": "  "}, "service must be a service name or id, not '  '"),
    ({"service": 7}, "service must be a service name or id, not 7"),
])
def test_bad_filters_are_refused_before_listing(conn, filters, message):
    listed = []
    conn.backend.recent_jobs = lambda hints: listed.append(hints) or []
    with pytest.raises(eojobs.InputError) as info:
        conn.jobs(**filters)
    assert str(info.value) == message
    assert listed == []


def test_the_mock_uses_the_hints_to_work_out_fewer_jobs(conn):
    jobs = made(conn)
    newest = conn.backend.recent_jobs(JobHints(limit=2))
    assert [j.name for j in newest] == ["new", "idle"]
    since = jobs["idle"].info.created_at
    assert [j.name for j in conn.backend.recent_jobs(JobHints(since=since))] == ["new", "idle"]


class OldestFirstBackend(MockBackend):
    """A third party's backend: only ``list_jobs()``, without arguments, oldest first."""

    name = "oldestfirst"
    recent_jobs = Backend.recent_jobs

    def list_jobs(self):
        return list(reversed(super().list_jobs()))


@pytest.fixture
def oldest_first():
    with registered(OldestFirstBackend), eojobs.connect("oldestfirst", speed=100000) as conn:
        yield conn


def test_a_backend_with_only_list_jobs_gets_the_same_answers(oldest_first):
    jobs = made(oldest_first)
    assert names(oldest_first.jobs()) == ["new", "idle", "done", "failed", "old"]
    assert names(oldest_first.jobs(limit=2)) == ["new", "idle"]
    assert names(oldest_first.jobs(status="succeeded", limit=1)) == ["done"]
    since = jobs["done"].info.created_at
    assert names(oldest_first.jobs(since=since)) == ["new", "idle", "done"]
    assert oldest_first.job(jobs["failed"].id[:6]).name == "failed"




def test_an_ambiguous_prefix_names_some_matches(conn, chosen_ids):
    chosen_ids(TWINS)
    for _ in TWINS:
        conn.create_job("Elevation", GLASGOW)
    with pytest.raises(eojobs.AmbiguousName) as info:
        conn.job("abcd")
    newest = sorted(TWINS, reverse=True)
    assert str(info.value) == (f"'abcd' matches 7 jobs: {', '.join(newest[:5])}, ...; "
                               "give more of the id")
    with pytest.raises(eojobs.AmbiguousName, match="'abcd000' matches 7 jobs"):
        conn.job("abcd000")
    assert conn.job("ABCD0003").id == TWINS[3]
    with pytest.raises(eojobs.NotFound):
        conn.job("abce")


def test_a_short_prefix_says_it_is_too_short_unless_it_is_an_id(conn, chosen_ids):
    chosen_ids(["abc", *TWINS])
    short = conn.create_job("Elevation", GLASGOW)
    conn.create_job("Elevation", GLASGOW)
    assert conn.job("abc").id == short.id == "abc"
    with pytest.raises(eojobs.InputError) as info:
        conn.job("ab")
    assert str(info.value) == "give at least 4 characters of a job id; 'ab' is too short"
    with pytest.raises(eojobs.InputError, match="a job id is needed"):
        conn.job("  ")

