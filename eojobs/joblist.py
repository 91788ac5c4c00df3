"""Choosing jobs from a listing: the filters of ``Connection.jobs`` and id-prefix matching.

Every filter is checked here before anything reaches a backend, and
applied here to whatever the backend listed, so the results are the same
on every backend whatever use it made of the hints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from eojobs.backend import JobHints
from eojobs.errors import AmbiguousName, InputError
from eojobs.models import JobInfo, JobStatus, Service

#: The fewest characters of a job id that are looked up as a prefix.
MIN_PREFIX = 4
#: The most matching ids an ambiguous prefix's message names.
SHOWN_MATCHES = 5
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class JobFilter:
    """Checked filters of a job listing; None (or empty) means "any"."""

    statuses: frozenset[JobStatus] = frozenset()
    service: str | None = None
    since: datetime | None = None
    limit: int | None = None

    def hints(self) -> JobHints:
        """What a backend may use to list less: ``limit`` only when nothing else filters."""
        plain = not self.statuses and self.service is None
        return JobHints(since=self.since, limit=self.limit if plain else None)

    def select(self, listed: Iterable[JobInfo]) -> list[JobInfo]:
        """The jobs that pass every filter, newest first, at most ``limit`` of them."""
        ordered = sorted(listed, key=lambda j: j.created_at or _OLDEST, reverse=True)
        kept = [j for j in ordered if self._accepts(j)]
        return kept[: self.limit] if self.limit is not None else kept

    def _accepts(self, job: JobInfo) -> bool:
        if self.statuses and job.status not in self.statuses:
            return False
        if self.service is not None and self.service not in (job.service_name.lower(),
                                                             job.service_id.lower()):
            return False
        if self.since is not None and (job.created_at is None or job.created_at < self.since):
            return False
        return True


def job_filter(status: Any = None, service: str | Service | None = None,
               since: datetime | None = None, limit: int | None = None) -> JobFilter:
    """Check the filters of a listing; InputError says what is wrong with one."""
    return JobFilter(statuses=_statuses(status), service=_service(service),
                     since=_since(since), limit=_limit(limit))


def _statuses(status: Any) -> frozenset[JobStatus]:
    if status is None:
        return frozenset()
    given = [status] if isinstance(status, (str, JobStatus)) else status
    try:
        items = list(given)
    except TypeError:
        raise InputError(f"status must be a job status or several, not {status!r}") from None
    return frozenset(_status(item) for item in items)


def _status(item: Any) -> JobStatus:
    if isinstance(item, JobStatus):
        return item
    known = ", ".join(s.value for s in JobStatus)
    if not isinstance(item, str):
        raise InputError(f"status must be a job status ({known}), not {item!r}")
    try:
        return JobStatus(item.strip().lower())
    except ValueError:
        raise InputError(f"unknown job status {item!r}; use one of {known}") from None


def _service(service: str | Service | None) -> str | None:
    if service is None:
        return None
    if isinstance(service, Service):
        return service.id.lower()
    if not isinstance(service, str) or not service.strip():
        raise InputError(f"service must be a service name or id, not {service!r}")
    return service.strip().lower()


def _since(since: datetime | None) -> datetime | None:
    if since is None:
        return None
    if not isinstance(since, datetime):
        raise InputError(f"since must be a datetime, not {since!r}")
    if since.tzinfo is None or since.utcoffset() is None:
        raise InputError(f"since must say its time zone: {since.isoformat()} has none; "
                         "give e.g. datetime(2025, 1, 1, tzinfo=timezone.utc)")
    return since


def _limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise InputError(f"limit must be a whole number of jobs, not {limit!r}")
    if limit < 1:
        raise InputError(f"limit must be at least 1, not {limit}")
    return limit


def check_prefix(prefix: str) -> None:
    """Refuse a prefix too short to look up (after it failed as an exact id)."""
    if len(prefix) < MIN_PREFIX:
        raise InputError(f"give at least {MIN_PREFIX} characters of a job id; "
                         f"{prefix!r} is too short")


def prefix_match(prefix: str, listed: Sequence[JobInfo]) -> JobInfo | None:
    """The one listed job whose id starts with ``prefix`` (any case); None if none.

    Raises AmbiguousName naming the first few matches when there are several.
    """
    lowered = prefix.lower()
    matches = [j for j in listed if j.id.lower().startswith(lowered)]
    if len(matches) > 1:
        shown = ", ".join(j.id for j in matches[:SHOWN_MATCHES])
        more = ", ..." if len(matches) > SHOWN_MATCHES else ""
        raise AmbiguousName(f"{prefix!r} matches {len(matches)} jobs: {shown}{more}; "
                            "give more of the id")
    return matches[0] if matches else None
