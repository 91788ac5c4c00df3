"""Subject: what the conformance suite runs against, as the backend author gives it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eojobs.connection import Connection
    from eojobs.models import Service


@dataclass
class Subject:
    """A connected backend and a job that succeeds on it, for :class:`~eojobs.testing.Conformance`.

    The ``eojobs_subject`` fixture returns (or yields) one. The suite creates
    jobs of ``service`` with ``options`` over ``region``, starts them and
    waits for them, and deletes every job it created when each test ends.
    The connection stays the fixture's to close.
    """

    #: A connection to the backend under test, e.g. ``eojobs.connect("mine", url=...)``.
    connection: Connection
    #: A region the service takes: anything :meth:`eojobs.Region.parse` reads.
    region: Any
    #: The service of the suite's jobs, by id or name; None takes the first one listed.
    service: str | Service | None = None
    #: Options of the suite's jobs, such that a job succeeds with at least one output file.
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Seconds a job may take to finish before the suite gives up on it.
    timeout: float = 120.0
    #: Seconds between polls of a running job; None uses the backend's fastest interval.
    poll_interval: float | None = None
