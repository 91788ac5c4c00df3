"""What a campaign's state holds (the states of a row, the campaign, its rows), and the
interface of a store that keeps it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

#: A row waits to be submitted.
QUEUED = "queued"
#: A row is written with its tag and its job is being submitted: the job may or may not exist.
SUBMITTING = "submitting"
#: A row's job exists on the backend (``job_id`` is known), started or not.
SUBMITTED = "submitted"
#: A row's job succeeded and its files are being downloaded.
DOWNLOADING = "downloading"
#: A row's job succeeded and its files are downloaded (when downloads are asked for).
DONE = "done"
#: A row's job failed beyond the retry budget, or the row cannot be run; ``error`` says why.
FAILED = "failed"
#: A row whose job was stopped by the user.
STOPPED = "stopped"

#: Every state, in the order a row goes through them.
STATES = (QUEUED, SUBMITTING, SUBMITTED, DOWNLOADING, DONE, FAILED, STOPPED)
#: States a runner still has work in.
ACTIVE = (SUBMITTING, SUBMITTED, DOWNLOADING)


@dataclass(frozen=True)
class CampaignInfo:
    """What a campaign runs: one service with shared options, on a default backend.

    ``settings`` are non-secret backend settings; secrets are never stored,
    a runner reads them from the environment or the user's config.
    """

    id: str
    name: str
    service: str
    backend: str
    options: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    created: float = 0.0
    #: Why the campaign is paused (such as credits running out), or None.
    paused: str | None = None
    #: True once ``stop`` was asked; a runner that sees it ends.
    stopped: bool = False


@dataclass(frozen=True)
class NewRow:
    """A row to add: its key (unique in the campaign), region and own options."""

    key: str
    #: The region as GeoJSON (a geometry, Feature or FeatureCollection).
    region: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    #: The backend of this row, or None for the campaign's.
    backend: str | None = None


@dataclass(frozen=True)
class Row:
    """A row as stored."""

    key: str
    seq: int
    region: dict[str, Any]
    options: dict[str, Any]
    backend: str | None
    state: str
    attempts: int
    job_id: str | None
    error: str | None
    owner: str | None
    lease_until: float | None
    files: int | None
    bytes: int | None
    updated: float

    def as_dict(self) -> dict[str, Any]:
        """The row as plain data, without its region (for reports and ``--json``)."""
        return {"key": self.key, "state": self.state, "backend": self.backend,
                "attempts": self.attempts, "job_id": self.job_id, "error": self.error,
                "files": self.files, "bytes": self.bytes}


class Store(ABC):
    """The state of one campaign. Every method that changes something is one transaction."""

    @abstractmethod
    def create(self, campaign: CampaignInfo) -> None:
        """Write the campaign; InputError if the store already holds one."""

    @abstractmethod
    def campaign_named(self, name: str) -> str | None:
        """The id of the database's campaign called ``name``, or None; InputError if several."""

    @abstractmethod
    def campaign(self) -> CampaignInfo | None:
        """The campaign, or None if the store holds none yet."""

    @abstractmethod
    def set_paused(self, reason: str | None) -> None:
        """Pause the campaign with a reason, or clear the pause with None."""

    @abstractmethod
    def set_stopped(self, stopped: bool) -> None:
        """Mark the campaign stopped (runners end) or running again."""

    @abstractmethod
    def add(self, rows: Sequence[NewRow], now: float) -> int:
        """Add rows as queued, all or none; InputError naming keys that already exist."""

    @abstractmethod
    def claim(self, owner: str, states: Sequence[str], limit: int, lease: float,
              now: float, backend: str | None = None) -> list[Row]:
        """Lease to ``owner`` up to ``limit`` rows in ``states``, oldest first, in one statement.

        Rows free, leased by ``owner`` already, or whose lease has expired are
        taken; with ``backend``, only rows of that backend (the campaign's
        default for rows of none). Returns the rows claimed.
        """

    @abstractmethod
    def renew(self, owner: str, lease: float, now: float) -> int:
        """Extend every lease ``owner`` holds to ``now + lease``; how many."""

    @abstractmethod
    def release(self, owner: str) -> int:
        """Give up every lease ``owner`` holds; how many."""

    @abstractmethod
    def owners(self) -> list[str]:
        """The owners holding leases now."""

    @abstractmethod
    def backends(self, states: Sequence[str]) -> list[str]:
        """The backends named by rows in ``states`` (not the campaign's default for the rest)."""

    @abstractmethod
    def update(self, key: str, owner: str, now: float, **changes: Any) -> bool:
        """Change columns of a row leased by ``owner``; False (nothing changed) if it is not."""

    @abstractmethod
    def requeue(self, states: Sequence[str], now: float) -> int:
        """Put rows in ``states`` back in the queue with a fresh retry budget; how many."""

    @abstractmethod
    def rows(self, states: Sequence[str] | None = None, keys: Iterable[str] | None = None,
             ) -> list[Row]:
        """Rows, in the order they were added; optionally only some states or keys."""

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """How many rows are in each state (every state, zeros too)."""

    @abstractmethod
    def close(self) -> None:
        """Release the database connection."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
