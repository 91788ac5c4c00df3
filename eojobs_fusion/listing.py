"""Reading the process listing newest first, only as far as a job listing's hints need."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from eojobs.backend import JobHints
from eojobs_fusion.mapping import parse_time

Json = dict[str, Any]


def newest_processes(pages: Iterable[list[Json]], hints: JobHints) -> list[Json]:
    """The processes the hints want, newest first, from pages asked for newest first.

    The API documents its order only for executions, so stopping early is
    trusted only once the pages seen so far are proven newest first: no
    process newer than the one before it, and at least two creation times
    that differ. Until then, or when that fails, every page is read. Either
    way only the processes the hints want are returned, so no more jobs than
    needed are worked out.
    """
    taken: list[Json] = []
    previous: datetime | None = None
    ordered, descending = True, False
    for page in pages:
        for process in page:
            created = parse_time(process.get("created_at"))
            if created is None or (previous is not None and created > previous):
                ordered = False
            elif previous is not None and created < previous:
                descending = True
            previous = created or previous
            taken.append(process)
        if ordered and descending and _enough(taken, previous, hints):
            break
    return hints.newest(taken, lambda p: parse_time(p.get("created_at")))


def _enough(taken: list[Json], oldest: datetime | None, hints: JobHints) -> bool:
    """Whether the newest-first processes taken so far hold every one the hints want."""
    if hints.limit is not None and len(taken) >= hints.limit:
        return True
    return hints.since is not None and oldest is not None and oldest < hints.since
