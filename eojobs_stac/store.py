"""The STAC backend's jobs: one SQLite database in the eojobs home, shared by processes.

A job is a search done once: its items (as the API returned them, with only
the chosen assets) and the state of each asset (online, waiting for an
offline copy, or gone). Nothing is written before a job is created.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from eojobs.config import ensure_home, home
from eojobs.errors import BackendError
from eojobs.models import Asset, JobStatus

BUSY_TIMEOUT_S = 30.0
#: The layout of the tables; a store written by a later layout is refused, not misread.
SCHEMA_VERSION = 1
#: Asset states: online; waiting (offline, or ordered) until ``next_check``; gone.
ONLINE, WAITING, GONE = "online", "waiting", "gone"
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    api TEXT NOT NULL,
    name TEXT NOT NULL,
    collection TEXT NOT NULL,
    region TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS items (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    item_id TEXT NOT NULL,
    document TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS assets (
    job_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    asset TEXT NOT NULL,
    state TEXT NOT NULL,
    next_check REAL NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, seq)
);
"""


@dataclass(frozen=True)
class JobRow:
    """One job as stored."""

    id: str
    api: str
    name: str
    collection: str
    region: dict[str, Any]
    options: dict[str, Any]
    status: str
    created_at: float
    started_at: float | None
    ended_at: float | None
    error: str | None


@dataclass(frozen=True)
class AssetRow:
    """One chosen asset of a job, with its state."""

    seq: int
    asset: dict[str, Any]
    state: str
    next_check: float
    note: str


def database() -> Path:
    """Where the jobs are kept: ``<EOJOBS_HOME>/stac/jobs.sqlite``."""
    return home() / "stac" / "jobs.sqlite"


class Store:
    """The jobs of every STAC API used from this eojobs home."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or database()

    @contextmanager
    def _db(self, create: bool = False) -> Iterator[sqlite3.Connection | None]:
        if not self.path.exists() and not create:
            yield None
            return
        if create:
            ensure_home()
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)) as db:
                db.row_factory = sqlite3.Row
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise sqlite3.DatabaseError("it was written by a newer eojobs")
                if version < SCHEMA_VERSION:
                    with db:
                        db.executescript(_SCHEMA)
                        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                with db:
                    yield db
        except sqlite3.Error as exc:
            raise BackendError(f"the STAC job store {self.path} failed: {exc}") from None

    def add(self, job: JobRow, items: list[tuple[str, dict[str, Any]]],
            assets: list[tuple[dict[str, Any], bool]]) -> None:
        """Record a new job, its items (id, document) and its assets (asset, offline?)."""
        with self._db(create=True) as db:
            assert db is not None
            db.execute("INSERT INTO jobs (id, api, name, collection, region, options, status, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (job.id, job.api, job.name, job.collection, json.dumps(job.region),
                        json.dumps(job.options), job.status, job.created_at))
            db.executemany("INSERT INTO items (job_id, seq, item_id, document) VALUES (?,?,?,?)",
                           [(job.id, n, i, json.dumps(d)) for n, (i, d) in enumerate(items)])
            db.executemany("INSERT INTO assets (job_id, seq, asset, state) VALUES (?, ?, ?, ?)",
                           [(job.id, n, json.dumps(a), WAITING if off else ONLINE)
                            for n, (a, off) in enumerate(assets)])

    def job(self, job_id: str) -> JobRow | None:
        """One job, or None."""
        with self._db() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone() \
                if db is not None else None
        return self._read(_job, [row])[0] if row is not None else None

    def jobs(self, api: str) -> list[JobRow]:
        """The jobs made on the API at ``api``, newest first."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM jobs WHERE api = ? ORDER BY seq DESC",
                              (api,)).fetchall() if db is not None else []
        return self._read(_job, rows)

    def items(self, job_id: str) -> list[dict[str, Any]]:
        """The job's item documents, in the order the search found them."""
        with self._db() as db:
            rows = db.execute("SELECT document FROM items WHERE job_id = ? ORDER BY seq",
                              (job_id,)).fetchall() if db is not None else []
        return self._read(lambda r: _object(r["document"]), rows)

    def assets(self, job_id: str) -> list[AssetRow]:
        """The job's chosen assets with their states."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM assets WHERE job_id = ? ORDER BY seq",
                              (job_id,)).fetchall() if db is not None else []
        return self._read(_asset, rows)

    def _read(self, convert: Callable[[sqlite3.Row], T], rows: list[sqlite3.Row]) -> list[T]:
        """The rows converted; a row damaged since it was written is one clear error."""
        try:
            return [convert(r) for r in rows]
        except (ValueError, TypeError, KeyError) as exc:
            raise BackendError(f"the STAC job store {self.path} has a damaged row ({exc}); "
                               "move it away to start afresh") from None

    def set_asset(self, job_id: str, seq: int, state: str, next_check: float = 0.0,
                  note: str = "") -> None:
        """Record what a check found of one asset."""
        with self._db() as db:
            if db is not None:
                db.execute("UPDATE assets SET state = ?, next_check = ?, note = ? "
                           "WHERE job_id = ? AND seq = ?", (state, next_check, note, job_id, seq))

    def set_status(self, job_id: str, status: str, error: str | None = None) -> None:
        """Move a job to ``status``; starting and finishing are timed."""
        now = time.time()
        with self._db() as db:
            if db is None:
                return
            db.execute("UPDATE jobs SET status = ?, error = ? WHERE id = ?",
                       (status, error, job_id))
            if status == "running":
                db.execute("UPDATE jobs SET started_at = COALESCE(started_at, ?) WHERE id = ?",
                           (now, job_id))
            if status in ("succeeded", "failed"):
                db.execute("UPDATE jobs SET ended_at = COALESCE(ended_at, ?) WHERE id = ?",
                           (now, job_id))

    def delete(self, job_id: str) -> None:
        """Forget a job."""
        with self._db() as db:
            if db is None:
                return
            for table in ("items", "assets", "jobs"):
                column = "id" if table == "jobs" else "job_id"
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (job_id,))  # noqa: S608


def _job(row: sqlite3.Row) -> JobRow:
    return JobRow(id=row["id"], api=row["api"], name=row["name"], collection=row["collection"],
                  region=_object(row["region"]), options=_object(row["options"]),
                  status=JobStatus(row["status"]).value, created_at=row["created_at"],
                  started_at=row["started_at"], ended_at=row["ended_at"], error=row["error"])


def _asset(row: sqlite3.Row) -> AssetRow:
    asset = _object(row["asset"])
    Asset.model_validate(asset)  # what the backend makes of it, checked here
    if row["state"] not in (WAITING, ONLINE, GONE):
        raise ValueError(f"unknown asset state {row['state']!r}")
    return AssetRow(row["seq"], asset, row["state"], row["next_check"], row["note"])


def _object(text: str) -> dict[str, Any]:
    found = json.loads(text)
    if not isinstance(found, dict):
        raise ValueError("a stored document is not a JSON object")
    return found
