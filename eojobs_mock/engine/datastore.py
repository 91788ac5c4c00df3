"""Data items and their files: uploaded regions and rasters, copies, and job regions.

Records live in the engine's database; the bytes of each file live in
``<home>/mock/files/<file_id>``.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eojobs_mock.engine.store import Store

UPLOADED = "uploaded"
"""An item a user created (or copied); listed under the organisation's uploaded data."""
JOB_INPUT = "job-input"
"""An input of a job created in-process, made visible as a data item on first look."""


@dataclass(frozen=True)
class DataItem:
    """A named group of files."""

    id: str
    organisation_id: str
    name: str
    kind: str
    job_id: str | None
    created_at: float
    updated_at: float


@dataclass(frozen=True)
class StoredFile:
    """One file of a data item; ``size`` is None until its bytes have arrived."""

    id: str
    data_id: str
    file_id: str
    file_name: str
    file_type: str
    size: int | None
    sha256: str | None
    analysis: dict[str, Any] | None
    created_at: float
    updated_at: float


class DataStore:
    """Data items, their file records, and where each file's bytes are kept."""

    def __init__(self, store: Store, root: Path, clock: Callable[[], float]) -> None:
        self.store = store
        self.folder = root / "files"
        self.clock = clock

    def path(self, file_id: str) -> Path:
        """Where the bytes of a file are (or will be) kept."""
        return self.folder / file_id

    def create_item(self, organisation_id: str, name: str, kind: str = UPLOADED,
                    job_id: str | None = None, item_id: str | None = None) -> DataItem:
        """A new, empty data item; raises KeyError if ``item_id`` is taken."""
        now = self.clock()
        item_id = item_id or str(uuid.uuid4())
        try:
            with self.store.write() as db:
                db.execute(
                    "INSERT INTO data_items (id, organisation_id, name, kind, job_id, created_at,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (item_id, organisation_id, name, kind, job_id, now, now),
                )
        except sqlite3.IntegrityError:
            raise KeyError(item_id) from None
        return DataItem(item_id, organisation_id, name, kind, job_id, now, now)

    def item(self, item_id: str) -> DataItem | None:
        """One data item, or None."""
        row = self.store.read().execute(
            "SELECT * FROM data_items WHERE id = ?", (item_id,)
        ).fetchone()
        return None if row is None else _item(row)

    def job_input(self, job_id: str) -> DataItem | None:
        """The data item made for the region of an in-process job, or None."""
        row = self.store.read().execute(
            "SELECT * FROM data_items WHERE kind = ? AND job_id = ? ORDER BY seq LIMIT 1",
            (JOB_INPUT, job_id),
        ).fetchone()
        return None if row is None else _item(row)

    def items(self, organisation_id: str, kind: str) -> list[DataItem]:
        """The items of one kind of an organisation, oldest first."""
        rows = self.store.read().execute(
            "SELECT * FROM data_items WHERE organisation_id = ? AND kind = ? ORDER BY seq",
            (organisation_id, kind),
        ).fetchall()
        return [_item(r) for r in rows]

    def rename(self, item_id: str, name: str) -> None:
        """Give a data item a new name."""
        with self.store.write() as db:
            db.execute("UPDATE data_items SET name = ?, updated_at = ? WHERE id = ?",
                       (name, self.clock(), item_id))

    def delete_item(self, item_id: str) -> None:
        """Remove a data item, its file records and their bytes."""
        files = self.files(item_id)
        with self.store.write() as db:
            db.execute("DELETE FROM data_files WHERE data_id = ?", (item_id,))
            db.execute("DELETE FROM data_items WHERE id = ?", (item_id,))
        for record in files:
            self.path(record.file_id).unlink(missing_ok=True)

    def add_file(self, data_id: str, file_name: str, file_type: str) -> StoredFile:
        """A new file record whose bytes have not arrived yet."""
        now = self.clock()
        record = StoredFile(str(uuid.uuid4()), data_id, str(uuid.uuid4()), file_name, file_type,
                            None, None, None, now, now)
        with self.store.write() as db:
            db.execute(
                "INSERT INTO data_files (id, data_id, file_id, file_name, file_type, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.id, data_id, record.file_id, file_name, file_type, now, now),
            )
            db.execute("UPDATE data_items SET updated_at = ? WHERE id = ?", (now, data_id))
        return record

    def finish_file(self, file_id: str, size: int, sha256: str,
                    analysis: dict[str, Any]) -> None:
        """Record that a file's bytes have arrived, and what analysing them found."""
        with self.store.write() as db:
            db.execute(
                "UPDATE data_files SET size = ?, sha256 = ?, analysis = ?, updated_at = ?"
                " WHERE file_id = ?", (size, sha256, json.dumps(analysis), self.clock(), file_id),
            )

    def file(self, file_id: str) -> StoredFile | None:
        """The file record with this storage id, or None."""
        row = self.store.read().execute(
            "SELECT * FROM data_files WHERE file_id = ?", (file_id,)
        ).fetchone()
        return None if row is None else _file(row)

    def files(self, data_id: str) -> list[StoredFile]:
        """The file records of a data item, in the order they were added."""
        rows = self.store.read().execute(
            "SELECT * FROM data_files WHERE data_id = ? ORDER BY seq", (data_id,)
        ).fetchall()
        return [_file(r) for r in rows]


def _item(row: sqlite3.Row) -> DataItem:
    return DataItem(row["id"], row["organisation_id"], row["name"], row["kind"], row["job_id"],
                    row["created_at"], row["updated_at"])


def _file(row: sqlite3.Row) -> StoredFile:
    analysis = None if row["analysis"] is None else json.loads(row["analysis"])
    return StoredFile(row["id"], row["data_id"], row["file_id"], row["file_name"],
                      row["file_type"], row["size"], row["sha256"], analysis, row["created_at"],
                      row["updated_at"])
