"""The mock platform's state: one SQLite database, safe for concurrent processes."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eojobs.errors import EOJobsError

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    credits REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL,
    service_id TEXT NOT NULL,
    region TEXT NOT NULL,
    slices TEXT NOT NULL,
    options TEXT NOT NULL,
    inputs TEXT NOT NULL,
    price REAL NOT NULL,
    created_at REAL NOT NULL,
    schedule TEXT,
    started_at REAL,
    speed REAL,
    stopped_at REAL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    email TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    organisation_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS organisations (
    id TEXT PRIMARY KEY,
    fields TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS data_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    organisation_id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    job_id TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS data_files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    data_id TEXT NOT NULL,
    file_id TEXT UNIQUE NOT NULL,
    file_name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    size INTEGER,
    sha256 TEXT,
    analysis TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS processes (
    job_id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    delete_expiry REAL,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS wire_ids (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    job_id TEXT NOT NULL,
    execution_id TEXT,
    name TEXT
);
"""


@dataclass(frozen=True)
class JobRow:
    """One job as stored."""

    id: str
    name: str
    service_id: str
    region: dict[str, Any]
    slices: list[dict[str, Any]]
    options: dict[str, Any]
    inputs: dict[str, str]
    price: float
    created_at: float
    schedule: dict[str, Any] | None
    started_at: float | None
    speed: float | None
    stopped_at: float | None


class Store:
    """Jobs, the account and the Fusion-face records in ``<home>/mock/state.sqlite``.

    Every write runs in ``BEGIN IMMEDIATE`` so that concurrent processes
    serialise their writes instead of failing with "database is locked".
    """

    def __init__(self, path: Path, initial_credits: float) -> None:
        self.path = path
        self.initial_credits = initial_credits
        self._local = threading.local()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._create()
        except sqlite3.DatabaseError as exc:
            raise EOJobsError(
                f"the mock platform's database {path} cannot be used ({exc}); "
                "move it away to start afresh"
            ) from None
        except OSError as exc:
            raise EOJobsError(
                f"cannot keep the mock platform in {path.parent}: {exc.strerror}; "
                "check EOJOBS_HOME"
            ) from None

    def _create(self) -> None:
        initial_credits = self.initial_credits
        if self.read().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return  # made before: a command that only reads writes nothing
        with self.write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError("it was written by a newer eojobs")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute(
                "INSERT OR IGNORE INTO account (id, credits) VALUES (1, ?)", (initial_credits,)
            )

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database's write lock from its start."""
        db = self._connection()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def read(self) -> sqlite3.Connection:
        """A connection for single-statement reads."""
        return self._connection()

    def credits(self) -> float:
        """The account's credits."""
        return float(self.read().execute("SELECT credits FROM account").fetchone()[0])

    def set_credits(self, credits: float) -> None:
        """Set the account's credits."""
        with self.write() as db:
            db.execute("UPDATE account SET credits = ?", (credits,))

    def insert_job(self, row: JobRow) -> None:
        """Store a new job."""
        with self.write() as db:
            db.execute(
                "INSERT INTO jobs (id, name, service_id, region, slices, options, inputs, price,"
                " created_at, schedule) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row.id, row.name, row.service_id, json.dumps(row.region),
                    json.dumps(row.slices), json.dumps(row.options), json.dumps(row.inputs),
                    row.price, row.created_at,
                    None if row.schedule is None else json.dumps(row.schedule),
                ),
            )

    def get_job(self, job_id: str) -> JobRow | None:
        """One job, or None."""
        found = self.read().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if found is None else _row(found)

    def list_jobs(self) -> list[JobRow]:
        """All jobs, newest first."""
        rows = self.read().execute("SELECT * FROM jobs ORDER BY seq DESC").fetchall()
        return [_row(r) for r in rows]

    def start_job(self, job_id: str, now: float, speed: float) -> str | None:
        """Charge the account and mark a job started, atomically.

        Returns None on success, or the reason it could not start.
        """
        with self.write() as db:
            found = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if found is None:
                return "missing"
            row = _row(found)
            if row.started_at is not None:
                return "started"
            runs = (row.schedule or {}).get("repeat_count", 1)
            cost = row.price * runs
            credits = db.execute("SELECT credits FROM account").fetchone()[0]
            if credits < cost:
                return f"credits:{cost}:{credits}"
            db.execute("UPDATE account SET credits = credits - ?", (cost,))
            db.execute(
                "UPDATE jobs SET started_at = ?, speed = ? WHERE id = ?", (now, speed, job_id)
            )
        return None

    def stop_job(self, job_id: str, now: float) -> None:
        """Record that a job was stopped at ``now`` (once)."""
        with self.write() as db:
            db.execute(
                "UPDATE jobs SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
                (now, job_id),
            )

    def update_job(self, row: JobRow) -> bool:
        """Replace what a job will do, while it has not started; False if it has or is gone."""
        with self.write() as db:
            return db.execute(
                "UPDATE jobs SET name = ?, region = ?, slices = ?, options = ?, inputs = ?,"
                " price = ?, schedule = ? WHERE id = ? AND started_at IS NULL",
                (
                    row.name, json.dumps(row.region), json.dumps(row.slices),
                    json.dumps(row.options), json.dumps(row.inputs), row.price,
                    None if row.schedule is None else json.dumps(row.schedule), row.id,
                ),
            ).rowcount > 0

    def rename_job(self, job_id: str, name: str) -> bool:
        """Give a job a new name, at any time; False if there is no such job."""
        with self.write() as db:
            return db.execute(
                "UPDATE jobs SET name = ? WHERE id = ?", (name, job_id)
            ).rowcount > 0

    def delete_job(self, job_id: str) -> bool:
        """Remove a job; False if there was none."""
        with self.write() as db:
            return db.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount > 0


def _row(row: sqlite3.Row) -> JobRow:
    return JobRow(
        id=row["id"],
        name=row["name"],
        service_id=row["service_id"],
        region=json.loads(row["region"]),
        slices=json.loads(row["slices"]),
        options=json.loads(row["options"]),
        inputs=json.loads(row["inputs"]),
        price=row["price"],
        created_at=row["created_at"],
        schedule=None if row["schedule"] is None else json.loads(row["schedule"]),
        started_at=row["started_at"],
        speed=row["speed"],
        stopped_at=row["stopped_at"],
    )
