"""The state of a campaign: one schema, portable SQL, one transaction per change.

:class:`Store` is the interface the runner and the CLI use. :class:`SQLStore`
holds every statement, written in SQL that SQLite and PostgreSQL both run;
a subclass supplies only a connection, its transactions and the few words
that differ (the parameter marker, the row lock of a claim).
:class:`SQLiteStore` keeps a campaign in one file in its folder, in WAL
mode with a busy timeout, so that several processes can share it.

Rows are claimed with leases: a runner (its ``owner`` id) takes rows whose
lease is free or expired and renews its leases while it lives; a runner that
dies leaves its rows to others once their leases expire. Every change that
concerns a leased row names the owner, and changes nothing if the lease was
lost.

Times are seconds since the epoch, as the caller's clock gives them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eojobs.batch.records import (
    QUEUED,
    STATES,
    CampaignInfo,
    NewRow,
    Row,
    Store,
)
from eojobs.errors import InputError
from eojobs.redact import redact_url

__all__ = ["SCHEMA", "SCHEMA_VERSION", "SQLStore", "SQLiteStore", "now", "open_store"]

#: The version of the schema below; a store refuses a database of another version.
SCHEMA_VERSION = 1

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS batch_schema (
        version INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS batch_campaigns (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        service TEXT NOT NULL,
        backend TEXT NOT NULL,
        options TEXT NOT NULL,
        settings TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        paused TEXT,
        stopped INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS batch_rows (
        campaign TEXT NOT NULL,
        key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        region TEXT NOT NULL,
        options TEXT NOT NULL,
        backend TEXT,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        job_id TEXT,
        error TEXT,
        owner TEXT,
        lease_until DOUBLE PRECISION,
        files INTEGER,
        bytes BIGINT,
        updated DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (campaign, key)
    )""",
    "CREATE INDEX IF NOT EXISTS batch_rows_state ON batch_rows (campaign, state, seq)",
)

_ROW_COLUMNS = ("key, seq, region, options, backend, state, attempts, job_id, error, owner, "
                "lease_until, files, bytes, updated")


class SQLStore(Store):
    """Every statement of the store, for a DB-API connection that a subclass supplies.

    A subclass implements :meth:`transaction` and :meth:`close`, and sets
    :attr:`PARAM` and :attr:`CLAIM_LOCK` where its database differs.
    """

    #: The parameter marker of the driver; statements are written with ``?``.
    PARAM = "?"
    #: What follows the SELECT of a claim, such as ``FOR UPDATE SKIP LOCKED``.
    CLAIM_LOCK = ""
    #: True where a database holds one campaign only (a file in the campaign's folder).
    ONE_CAMPAIGN = False

    def __init__(self, campaign_id: str | None = None) -> None:
        #: The campaign this store reads and writes; found in the database when not given.
        self.campaign_id = campaign_id

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in a transaction that commits when the block ends, rolls back on error."""

    def _sql(self, text: str) -> str:
        return text if self.PARAM == "?" else text.replace("?", self.PARAM)

    def _run(self, cur: Any, text: str, params: Sequence[Any] = ()) -> Any:
        cur.execute(self._sql(text), tuple(params))
        return cur

    def setup(self) -> None:
        """Create the schema if missing; InputError for a database of another schema version."""
        with self.transaction() as cur:
            for statement in SCHEMA:
                self._run(cur, statement)
            found = self._run(cur, "SELECT version FROM batch_schema").fetchall()
            if not found:
                self._run(cur, "INSERT INTO batch_schema (version) VALUES (?)", [SCHEMA_VERSION])
            elif found[0][0] != SCHEMA_VERSION:
                raise InputError(f"the campaign database has schema version {found[0][0]}; "
                                 f"this eojobs reads version {SCHEMA_VERSION}")
            if self.campaign_id is None:
                ids = self._run(cur, "SELECT id FROM batch_campaigns").fetchall()
                if len(ids) == 1:
                    self.campaign_id = ids[0][0]

    def _id(self) -> str:
        if self.campaign_id is None:
            raise InputError("the database holds no campaign")
        return self.campaign_id

    def create(self, campaign: CampaignInfo) -> None:
        """Write the campaign; InputError if the store already holds one."""
        with self.transaction() as cur:
            found = self._run(cur, "SELECT id, service FROM batch_campaigns").fetchall()
            clash = [f for f in found if f[0] == campaign.id or self.ONE_CAMPAIGN]
            if clash:
                raise InputError(f"the database already holds a campaign of {clash[0][1]!r}")
            self._run(
                cur,
                "INSERT INTO batch_campaigns (id, name, service, backend, options, settings, "
                "created, paused, stopped) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0)",
                [campaign.id, campaign.name, campaign.service, campaign.backend,
                 json.dumps(campaign.options), json.dumps(campaign.settings), campaign.created])
        self.campaign_id = campaign.id

    def campaign_named(self, name: str) -> str | None:
        """The id of the database's campaign called ``name``, or None; InputError if several."""
        with self.transaction() as cur:
            found = self._run(cur, "SELECT id FROM batch_campaigns WHERE name = ?",
                              [name]).fetchall()
        if len(found) > 1:
            raise InputError(f"the database holds {len(found)} campaigns named {name!r}")
        return found[0][0] if found else None

    def campaign(self) -> CampaignInfo | None:
        """The campaign, or None if the store holds none yet."""
        if self.campaign_id is None:
            return None
        with self.transaction() as cur:
            found = self._run(
                cur, "SELECT id, name, service, backend, options, settings, created, paused, "
                "stopped FROM batch_campaigns WHERE id = ?", [self.campaign_id]).fetchone()
        if found is None:
            return None
        return CampaignInfo(id=found[0], name=found[1], service=found[2], backend=found[3],
                            options=json.loads(found[4]), settings=json.loads(found[5]),
                            created=found[6], paused=found[7], stopped=bool(found[8]))

    def set_paused(self, reason: str | None) -> None:
        """Pause the campaign with a reason, or clear the pause with None."""
        with self.transaction() as cur:
            self._run(cur, "UPDATE batch_campaigns SET paused = ? WHERE id = ?",
                      [reason, self._id()])

    def set_stopped(self, stopped: bool) -> None:
        """Mark the campaign stopped (runners end) or running again."""
        with self.transaction() as cur:
            self._run(cur, "UPDATE batch_campaigns SET stopped = ? WHERE id = ?",
                      [1 if stopped else 0, self._id()])

    def add(self, rows: Sequence[NewRow], now: float) -> int:
        """Add rows as queued, all or none; InputError naming keys that already exist."""
        campaign = self._id()
        keys = [row.key for row in rows]
        with self.transaction() as cur:
            taken: list[str] = []
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ", ".join("?" for _ in chunk)
                taken += [r[0] for r in self._run(
                    cur, f"SELECT key FROM batch_rows WHERE campaign = ? AND key IN ({marks})",
                    [campaign, *chunk]).fetchall()]
            if taken:
                shown = ", ".join(sorted(taken)[:5]) + (" ..." if len(taken) > 5 else "")
                raise InputError(f"{len(taken)} row key(s) are already in the campaign: {shown}; "
                                 "give the new rows other keys")
            top = self._run(cur, "SELECT MAX(seq) FROM batch_rows WHERE campaign = ?",
                            [campaign]).fetchone()[0] or 0
            cur.executemany(self._sql(
                "INSERT INTO batch_rows (campaign, key, seq, region, options, backend, state, "
                "attempts, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"),
                [(campaign, row.key, top + n, json.dumps(row.region), json.dumps(row.options),
                  row.backend, QUEUED, now) for n, row in enumerate(rows, 1)])
        return len(rows)

    def claim(self, owner: str, states: Sequence[str], limit: int, lease: float,
              now: float, backend: str | None = None) -> list[Row]:
        """Lease to ``owner`` up to ``limit`` rows in ``states``, oldest first, in one statement.

        Rows free, leased by ``owner`` already, or whose lease has expired are
        taken; with ``backend``, only rows of that backend (the campaign's
        default for rows of none). Returns the rows claimed.
        """
        if limit <= 0 or not states:
            return []
        campaign = self._id()
        marks = ", ".join("?" for _ in states)
        where_backend = ""
        params: list[Any] = [campaign, *states, owner, now]
        if backend is not None:
            where_backend = (" AND COALESCE(backend, (SELECT c.backend FROM batch_campaigns c "
                             "WHERE c.id = campaign)) = ?")
            params.append(backend)
        params += [limit, owner, now + lease, now, campaign]
        # The rows are picked once, in a materialized CTE: as a subquery of the UPDATE,
        # PostgreSQL may run the pick again for each row it updates, and each run skips the
        # rows just updated, so LIMIT would no longer bound the claim.
        statement = (
            "WITH picked AS MATERIALIZED ("
            " SELECT key FROM batch_rows WHERE campaign = ?"
            f" AND state IN ({marks})"
            " AND (owner IS NULL OR owner = ? OR lease_until < ?)"
            f"{where_backend} ORDER BY seq LIMIT ? {self.CLAIM_LOCK})"
            " UPDATE batch_rows SET owner = ?, lease_until = ?, updated = ?"
            " WHERE campaign = ? AND key IN (SELECT key FROM picked)"
            f" RETURNING {_ROW_COLUMNS}")
        with self.transaction() as cur:
            found = self._run(cur, statement, params).fetchall()
        return sorted((_row(r) for r in found), key=lambda r: r.seq)

    def renew(self, owner: str, lease: float, now: float) -> int:
        """Extend every lease ``owner`` holds to ``now + lease``; how many."""
        with self.transaction() as cur:
            return int(self._run(
                cur, "UPDATE batch_rows SET lease_until = ? WHERE campaign = ? AND owner = ?",
                [now + lease, self._id(), owner]).rowcount)

    def release(self, owner: str) -> int:
        """Give up every lease ``owner`` holds; how many."""
        with self.transaction() as cur:
            return int(self._run(
                cur, "UPDATE batch_rows SET owner = NULL, lease_until = NULL "
                "WHERE campaign = ? AND owner = ?", [self._id(), owner]).rowcount)

    def owners(self) -> list[str]:
        """The owners holding leases now."""
        with self.transaction() as cur:
            found = self._run(cur, "SELECT DISTINCT owner FROM batch_rows "
                              "WHERE campaign = ? AND owner IS NOT NULL", [self._id()]).fetchall()
        return sorted(r[0] for r in found)

    def backends(self, states: Sequence[str]) -> list[str]:
        """The backends named by rows in ``states`` (not the campaign's default for the rest)."""
        marks = ", ".join("?" for _ in states) or "NULL"
        with self.transaction() as cur:
            found = self._run(cur, "SELECT DISTINCT backend FROM batch_rows WHERE campaign = ? "
                              f"AND state IN ({marks}) AND backend IS NOT NULL",
                              [self._id(), *states]).fetchall()
        return sorted(r[0] for r in found)

    _CHANGEABLE = frozenset({"state", "attempts", "job_id", "error", "files", "bytes",
                             "options", "backend"})

    def update(self, key: str, owner: str, now: float, **changes: Any) -> bool:
        """Change columns of a row leased by ``owner``; False (nothing changed) if it is not."""
        unknown = set(changes) - self._CHANGEABLE
        if unknown:
            raise ValueError(f"a row has no changeable column {sorted(unknown)}")
        if "state" in changes and changes["state"] not in STATES:
            raise ValueError(f"no row state {changes['state']!r}")
        if "options" in changes:
            changes["options"] = json.dumps(changes["options"])
        sets = ", ".join(f"{name} = ?" for name in changes)
        with self.transaction() as cur:
            done = self._run(
                cur, f"UPDATE batch_rows SET {sets}{', ' if sets else ''}updated = ? "
                "WHERE campaign = ? AND key = ? AND owner = ?",
                [*changes.values(), now, self._id(), key, owner]).rowcount
        return bool(done)

    def requeue(self, states: Sequence[str], now: float) -> int:
        """Put rows in ``states`` back in the queue with a fresh retry budget; how many."""
        if not states:
            return 0
        marks = ", ".join("?" for _ in states)
        with self.transaction() as cur:
            return int(self._run(
                cur, "UPDATE batch_rows SET state = ?, attempts = 0, job_id = NULL, owner = NULL, "
                f"lease_until = NULL, updated = ? WHERE campaign = ? AND state IN ({marks})",
                [QUEUED, now, self._id(), *states]).rowcount)

    def rows(self, states: Sequence[str] | None = None, keys: Iterable[str] | None = None,
             ) -> list[Row]:
        """Rows, in the order they were added; optionally only some states or keys."""
        params: list[Any] = [self._id()]
        where = ""
        if states is not None:
            where += f" AND state IN ({', '.join('?' for _ in states) or 'NULL'})"
            params += list(states)
        # Keys are matched in SQL, a chunk at a time, so asking for one row reads one row.
        chunks: list[list[str]] = [[]] if keys is None else _chunks(sorted(set(keys)), 500)
        found: list[Any] = []
        with self.transaction() as cur:
            for chunk in chunks:
                among = "" if keys is None else \
                    f" AND key IN ({', '.join('?' for _ in chunk) or 'NULL'})"
                found += self._run(cur, f"SELECT {_ROW_COLUMNS} FROM batch_rows WHERE "
                                   f"campaign = ?{where}{among} ORDER BY seq",
                                   [*params, *chunk]).fetchall()
        rows = [_row(r) for r in found]
        return rows if len(chunks) < 2 else sorted(rows, key=lambda r: r.seq)

    def counts(self) -> dict[str, int]:
        """How many rows are in each state (every state, zeros too)."""
        with self.transaction() as cur:
            found = self._run(cur, "SELECT state, COUNT(*) FROM batch_rows WHERE campaign = ? "
                              "GROUP BY state", [self._id()]).fetchall()
        counts = dict.fromkeys(STATES, 0)
        counts.update({state: int(n) for state, n in found})
        return counts


def _chunks(items: list[str], size: int) -> list[list[str]]:
    """``items`` in lists of at most ``size`` (one empty list for none), for ``IN (...)``."""
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def _row(found: Sequence[Any]) -> Row:
    return Row(key=found[0], seq=int(found[1]), region=json.loads(found[2]),
               options=json.loads(found[3]), backend=found[4], state=found[5],
               attempts=int(found[6]), job_id=found[7], error=found[8], owner=found[9],
               lease_until=found[10], files=found[11], bytes=found[12], updated=found[13])


class SQLiteStore(SQLStore):
    """A campaign in one SQLite file: WAL mode, a busy timeout, immediate write transactions."""

    ONE_CAMPAIGN = True
    #: Seconds a statement waits for another process's write lock before failing.
    BUSY_TIMEOUT = 30.0

    def __init__(self, path: Path, campaign_id: str | None = None) -> None:
        super().__init__(campaign_id)
        self.path = path
        self._db = sqlite3.connect(path, timeout=self.BUSY_TIMEOUT, isolation_level=None,
                                   check_same_thread=False)
        try:
            self._db.execute(f"PRAGMA busy_timeout={int(self.BUSY_TIMEOUT * 1000)}")
            # The schema first: a file that is not a campaign database is left as it was.
            self.setup()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise InputError(f"{path} is not an eojobs campaign database: {exc}") from None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """An IMMEDIATE transaction (it takes the write lock at once, so claims never race)."""
        cur = self._db.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            if self._db.in_transaction:
                cur.execute("ROLLBACK")
            raise
        else:
            cur.execute("COMMIT")
        finally:
            cur.close()

    def close(self) -> None:
        """Close the database file."""
        self._db.close()


def open_store(url: str, campaign_id: str | None = None) -> SQLStore:
    """The shared store at a PostgreSQL URL; InputError for anything else."""
    from eojobs.batch.store_pg import PostgresStore, is_postgres_url

    if not is_postgres_url(url):
        raise InputError(f"a campaign database is a PostgreSQL URL (postgresql://...), not "
                         f"{redact_url(str(url))!r}")
    return PostgresStore(url, campaign_id)


def now() -> float:
    """The time of the store: seconds since the epoch."""
    return time.time()
