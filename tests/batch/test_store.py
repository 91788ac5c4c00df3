"""The stores: one transaction per change, leases, claims, and all-or-nothing adds.

Tests taking ``open_db`` run on SQLite and on a real PostgreSQL (a database
of their own); the others are about SQLite's file.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eojobs.batch.records import DONE, FAILED, QUEUED, SUBMITTED, SUBMITTING, CampaignInfo, NewRow
from eojobs.batch.store import SCHEMA_VERSION, SQLiteStore, SQLStore
from eojobs.errors import InputError

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


Opener = Callable[[], SQLStore]


@pytest.fixture(params=["sqlite", "postgres"])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens a store on one database of this test's own: a SQLite file or a PostgreSQL database."""
    if request.param == "sqlite":
        def opener() -> SQLStore:
            return SQLiteStore(tmp_path / "db")
    else:
        from eojobs.batch.store_pg import PostgresStore

        url = request.getfixturevalue("pg_url")

        def opener() -> SQLStore:
            return PostgresStore(url)
    opened: list[SQLStore] = []

    def tracked() -> SQLStore:
        opened.append(opener())
        return opened[-1]
    yield tracked
    for store in opened:
        store.close()


def make(where: Path | Opener, rows: int = 5) -> SQLStore:
    store = SQLiteStore(where) if isinstance(where, Path) else where()
    store.create(CampaignInfo(id="c1", name="test", service="Elevation", backend="mock",
                              options={"resolution": 30}, created=1.0))
    store.add([NewRow(f"r{i:02d}", SQUARE, {"n": i}) for i in range(rows)], now=1.0)
    return store


def test_campaign_and_rows_survive_reopening(open_db: Opener) -> None:
    make(open_db).close()
    with open_db() as store:
        campaign = store.campaign()
        assert campaign is not None
        assert (campaign.service, campaign.backend, campaign.options) == (
            "Elevation", "mock", {"resolution": 30})
        rows = store.rows()
        assert [r.key for r in rows] == [f"r{i:02d}" for i in range(5)]
        assert rows[3].options == {"n": 3} and rows[3].region == SQUARE
        assert store.counts()[QUEUED] == 5


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    make(tmp_path / "db").close()
    db = sqlite3.connect(tmp_path / "db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT version FROM batch_schema").fetchall() == [(SCHEMA_VERSION,)]
    db.execute("UPDATE batch_schema SET version = 99")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="schema version 99"):
        SQLiteStore(tmp_path / "db")


def test_a_second_campaign_is_refused(tmp_path: Path) -> None:
    store = make(tmp_path / "db")
    with pytest.raises(InputError, match="already holds a campaign of 'Elevation'"):
        store.create(CampaignInfo(id="c2", name="x", service="NDVI", backend="mock"))
    assert store.campaign().id == "c1"


def test_adding_existing_keys_writes_nothing(open_db: Opener) -> None:
    store = make(open_db)
    with pytest.raises(InputError, match="1 row key.*already in the campaign: r03"):
        store.add([NewRow("new1", SQUARE), NewRow("r03", SQUARE)], now=2.0)
    assert len(store.rows()) == 5
    assert store.add([NewRow("new1", SQUARE)], now=2.0) == 1
    assert store.rows()[-1].key == "new1" and store.rows()[-1].seq == 6


def test_claims_lease_rows_to_one_owner(open_db: Opener) -> None:
    store = make(open_db)
    first = store.claim("a", [QUEUED], limit=3, lease=10, now=100)
    assert [r.key for r in first] == ["r00", "r01", "r02"]
    assert all(r.owner == "a" and r.lease_until == 110 for r in first)
    second = store.claim("b", [QUEUED], limit=10, lease=10, now=105)
    assert [r.key for r in second] == ["r03", "r04"]
    again = store.claim("b", [QUEUED], limit=10, lease=10, now=105)
    assert [r.key for r in again] == ["r03", "r04"]
    assert store.owners() == ["a", "b"]
    # a's lease expires: b takes its rows; a's changes no longer apply.
    taken = store.claim("b", [QUEUED], limit=10, lease=10, now=111)
    assert {r.key for r in taken} == {f"r{i:02d}" for i in range(5)}
    assert store.update("r00", "a", now=112, state=SUBMITTING) is False
    assert store.update("r00", "b", now=112, state=SUBMITTING, attempts=1) is True
    assert store.rows(keys=["r00"])[0].state == SUBMITTING


def test_renew_keeps_and_release_frees(open_db: Opener) -> None:
    store = make(open_db)
    store.claim("a", [QUEUED], limit=2, lease=10, now=100)
    assert store.renew("a", lease=10, now=108) == 2
    taken = store.claim("b", [QUEUED], limit=5, lease=10, now=115)
    assert [r.key for r in taken] == ["r02", "r03", "r04"]
    assert {r.key for r in store.rows() if r.owner == "a"} == {"r00", "r01"}
    assert store.release("a") == 2
    assert [r.key for r in store.claim("c", [QUEUED], 5, 10, now=116)] == ["r00", "r01"]


def test_claim_by_state_and_backend(open_db: Opener) -> None:
    store = open_db()
    store.create(CampaignInfo(id="c", name="t", service="Elevation", backend="mock"))
    store.add([NewRow("m", SQUARE), NewRow("f", SQUARE, backend="fusion")], now=1)
    assert [r.key for r in store.claim("a", [QUEUED], 5, 10, 2, backend="fusion")] == ["f"]
    assert [r.key for r in store.claim("a", [QUEUED], 5, 10, 2, backend="mock")] == ["m"]
    assert store.claim("a", [SUBMITTED], 5, 10, 2) == []


def test_requeue_resets_the_budget(open_db: Opener) -> None:
    store = make(open_db)
    store.claim("a", [QUEUED], 5, 10, 2)
    store.update("r01", "a", 3, state=FAILED, attempts=3, error="boom", job_id="j1")
    store.update("r02", "a", 3, state=DONE, job_id="j2")
    assert store.requeue([FAILED], now=4) == 1
    row = store.rows(keys=["r01"])[0]
    assert (row.state, row.attempts, row.job_id, row.owner) == (QUEUED, 0, None, None)
    assert store.rows(keys=["r02"])[0].state == DONE


def test_a_failed_transaction_changes_nothing(open_db: Opener) -> None:
    store = make(open_db)
    with pytest.raises(RuntimeError), store.transaction() as cur:
        cur.execute("UPDATE batch_rows SET state = 'done'")
        raise RuntimeError("crash")
    assert store.counts()[QUEUED] == 5


def _claim_all(path: str, owner: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = SQLiteStore(Path(path))
    got = []
    while True:
        rows = store.claim(owner, [QUEUED], limit=1, lease=1000, now=1)
        rows = [r for r in rows if store.update(r.key, owner, 1, state=SUBMITTING)]
        if not rows:
            # Only our own leased rows are left to claim again once all are submitting.
            if not store.rows(states=[QUEUED]):
                break
            continue
        got += [r.key for r in rows]
    out.put(got)


def test_processes_never_claim_the_same_row(tmp_path: Path) -> None:
    make(tmp_path / "db", rows=60).close()
    out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    workers = [multiprocessing.Process(target=_claim_all, args=(str(tmp_path / "db"), f"w{n}",
                                                                out)) for n in range(4)]
    for w in workers:
        w.start()
    got = [out.get(timeout=60) for _ in workers]
    for w in workers:
        w.join()
    claimed = [k for keys in got for k in keys]
    assert sorted(claimed) == [f"r{i:02d}" for i in range(60)]


def test_backends_of_rows_with_work_left(open_db: Opener) -> None:
    store = open_db()
    store.create(CampaignInfo(id="c", name="t", service="Elevation", backend="mock"))
    store.add([NewRow("m", SQUARE), NewRow("f", SQUARE, backend="fusion"),
               NewRow("o", SQUARE, backend="openeo")], now=1)
    assert store.backends([QUEUED]) == ["fusion", "openeo"]
    store.claim("a", [QUEUED], 5, 10, 2)
    store.update("o", "a", 3, state=DONE)
    assert store.backends([QUEUED, SUBMITTED]) == ["fusion"]
    assert store.backends([DONE]) == ["openeo"]
    assert store.backends([]) == []
