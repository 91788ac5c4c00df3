"""What the Fusion face adds to a job: process fields, per-execution marks, and an id index.

A job created over HTTP stores its schedule fields, dispatchers and input
data ids here. Executions may get their own delete expiry or be deleted.
The id index maps ids derived from a job (executions, components, output
data items) back to the job, so a request naming one finds it directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from eojobs_mock.engine.store import Store


@dataclass(frozen=True)
class ExecutionMark:
    """What was changed about one execution."""

    delete_expiry: float | None
    deleted: bool


@dataclass(frozen=True)
class DerivedId:
    """Where an id derived from a job comes from."""

    kind: str
    job_id: str
    execution_id: str | None
    name: str | None


class ProcessRecords:
    """Process fields, execution marks and the derived-id index."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def fields(self, job_id: str) -> dict[str, Any] | None:
        """The stored process fields of a job, or None if it has none yet."""
        row = self.store.read().execute(
            "SELECT fields FROM processes WHERE job_id = ?", (job_id,)
        ).fetchone()
        return None if row is None else json.loads(row["fields"])

    def save(self, job_id: str, organisation_id: str, fields: dict[str, Any],
             now: float) -> None:
        """Store (or replace) the process fields of a job."""
        with self.store.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO processes (job_id, organisation_id, fields, updated_at)"
                " VALUES (?, ?, ?, ?)", (job_id, organisation_id, json.dumps(fields), now),
            )

    def jobs_using(self, data_id: str) -> list[str]:
        """The jobs whose process inputs include a data item."""
        rows = self.store.read().execute("SELECT job_id, fields FROM processes").fetchall()
        return [r["job_id"] for r in rows
                if data_id in json.loads(r["fields"]).get("inputs", {}).values()]

    def updated_at(self, job_id: str) -> float | None:
        """When the process fields of a job last changed."""
        row = self.store.read().execute(
            "SELECT updated_at FROM processes WHERE job_id = ?", (job_id,)
        ).fetchone()
        return None if row is None else row["updated_at"]

    def forget_job(self, job_id: str) -> None:
        """Drop everything recorded about a deleted job."""
        with self.store.write() as db:
            for table in ("processes", "executions", "wire_ids"):
                db.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))

    def marks(self, job_id: str) -> dict[str, ExecutionMark]:
        """The marks of a job's executions, by execution id."""
        rows = self.store.read().execute(
            "SELECT * FROM executions WHERE job_id = ?", (job_id,)
        ).fetchall()
        return {r["id"]: ExecutionMark(r["delete_expiry"], bool(r["deleted"])) for r in rows}

    def set_delete_expiry(self, job_id: str, execution_ids: list[str], when: float) -> None:
        """Give executions a new delete expiry."""
        with self.store.write() as db:
            for execution_id in execution_ids:
                db.execute(
                    "INSERT INTO executions (id, job_id, delete_expiry) VALUES (?, ?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET delete_expiry = excluded.delete_expiry",
                    (execution_id, job_id, when),
                )

    def mark_deleted(self, job_id: str, execution_id: str) -> None:
        """Record that an execution was deleted."""
        with self.store.write() as db:
            db.execute(
                "INSERT INTO executions (id, job_id, deleted) VALUES (?, ?, 1)"
                " ON CONFLICT(id) DO UPDATE SET deleted = 1", (execution_id, job_id),
            )

    def register(self, entries: list[tuple[str, DerivedId]]) -> None:
        """Index ids derived from jobs (already known ids are left alone)."""
        if not entries:
            return
        with self.store.write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO wire_ids (id, kind, job_id, execution_id, name)"
                " VALUES (?, ?, ?, ?, ?)",
                [(i, d.kind, d.job_id, d.execution_id, d.name) for i, d in entries],
            )

    def lookup(self, derived_id: str) -> DerivedId | None:
        """Where a derived id comes from, or None if it is not indexed."""
        row = self.store.read().execute(
            "SELECT * FROM wire_ids WHERE id = ?", (derived_id,)
        ).fetchone()
        if row is None:
            return None
        return DerivedId(row["kind"], row["job_id"], row["execution_id"], row["name"])
