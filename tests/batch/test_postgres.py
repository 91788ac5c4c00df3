"""PostgreSQL campaign stores on a real server: processes sharing a campaign, leases, errors.

Each test has a database of its own on the session's server (``pg_url``);
the store's behaviour shared with SQLite is tested in test_store.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from eojobs.batch.records import DONE, QUEUED, CampaignInfo, NewRow
from eojobs.batch.store import SCHEMA_VERSION, SQLStore, open_store
from eojobs.batch.store_pg import NEED_PSYCOPG, PostgresStore
from eojobs.errors import ConfigError, EOJobsError, InputError

from .conftest import PostgresServer

SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
ROOT = Path(__file__).resolve().parents[2]


def campaign(url: str, campaign_id: str, rows: int) -> SQLStore:
    """A store of a new campaign ``campaign_id`` with ``rows`` queued rows keyed r000..."""
    store = open_store(url, campaign_id)
    store.create(CampaignInfo(id=campaign_id, name=campaign_id, service="Elevation",
                              backend="mock", created=1.0))
    store.add([NewRow(f"r{i:03d}", SQUARE) for i in range(rows)], now=1.0)
    return store


Starter = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def python(request: pytest.FixtureRequest) -> Starter:
    """Starts Python processes running code with arguments; any left at the end are killed."""
    started: list[subprocess.Popen[str]] = []

    def start(code: str, *args: str) -> subprocess.Popen[str]:
        started.append(_python(code, *args))
        return started[-1]
    request.addfinalizer(lambda: [p.kill() for p in started if p.poll() is None])
    return start


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    """A Python process running ``code`` with ``args``, its output piped."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)


def finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    """The output of ``process`` once it ends; fails the test with its stderr if it failed."""
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out


# Claims a few rows at a time, "processes" each (records it, then marks it done), and
# repeats until no row is left queued; prints the keys it processed, in order.
WORKER = """
    import json, sys, time
    from pathlib import Path
    from eojobs.batch.records import DONE, QUEUED
    from eojobs.batch.store import open_store

    url, campaign_id, owner, start = sys.argv[1:]
    store = open_store(url, campaign_id)
    while not Path(start).exists():
        time.sleep(0.001)
    processed = []
    while True:
        rows = store.claim(owner, [QUEUED], limit=3, lease=60, now=time.time())
        if not rows:
            if not store.rows(states=[QUEUED]):
                break
            time.sleep(0.001)
            continue
        for row in rows:
            processed.append(row.key)
            time.sleep(0.002)
            assert store.update(row.key, owner, time.time(), state=DONE, attempts=1)
    print(json.dumps(processed))
"""


def test_two_processes_share_a_campaign_and_never_process_a_row_twice(
        pg_url: str, tmp_path: Path, python: Starter) -> None:
    campaign(pg_url, "shared", rows=150).close()
    # Another campaign in the same database, with the same keys, is not touched.
    campaign(pg_url, "other", rows=20).close()
    start = tmp_path / "start"
    workers = [python(WORKER, pg_url, "shared", f"worker-{n}", str(start)) for n in range(2)]
    time.sleep(0.3)  # both are connected and waiting: they start claiming together
    start.touch()
    processed = [json.loads(finish(w)) for w in workers]

    every = [key for keys in processed for key in keys]
    assert sorted(every) == [f"r{i:03d}" for i in range(150)], "a row processed twice or never"
    assert all(processed), f"a process got no rows: {[len(keys) for keys in processed]}"
    with open_store(pg_url, "shared") as store:
        assert store.counts()[DONE] == 150
        assert store.owners() == ["worker-0", "worker-1"]
    with open_store(pg_url, "other") as store:
        assert store.counts()[QUEUED] == 20 and store.owners() == []


CLAIM_AND_HANG = """
    import json, sys, time
    from eojobs.batch.records import QUEUED
    from eojobs.batch.store import open_store

    url, lease = sys.argv[1], float(sys.argv[2])
    store = open_store(url, "c")
    rows = store.claim("doomed", [QUEUED], limit=4, lease=lease, now=time.time())
    print(json.dumps([r.key for r in rows]), flush=True)
    time.sleep(600)
"""


def test_rows_of_a_killed_process_are_claimed_after_its_lease(
        pg_url: str, python: Starter) -> None:
    store = campaign(pg_url, "c", rows=10)
    lease = 1.5
    doomed = python(CLAIM_AND_HANG, pg_url, str(lease))
    taken = json.loads(doomed.stdout.readline())  # type: ignore[union-attr]
    assert taken == ["r000", "r001", "r002", "r003"]
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)

    # The lease still runs: the rows are not free, though their owner is gone.
    rest = store.claim("heir", [QUEUED], limit=20, lease=60, now=time.time())
    assert [r.key for r in rest] == [f"r{i:03d}" for i in range(4, 10)]
    expiry = max(r.lease_until or 0 for r in store.rows(keys=taken))
    time.sleep(max(0.0, expiry - time.time()) + 0.1)
    freed = store.claim("heir", [QUEUED], limit=20, lease=60, now=time.time())
    assert {r.key for r in freed} >= set(taken)
    assert {r.key for r in store.rows() if r.owner == "heir"} == {f"r{i:03d}" for i in range(10)}


LOCK_AND_HANG = """
    import sys, time
    from eojobs.batch.store import open_store

    store = open_store(sys.argv[1], "c")
    with store.transaction() as cur:
        cur.execute("SELECT key FROM batch_rows WHERE campaign = 'c' ORDER BY seq LIMIT 3 "
                    "FOR UPDATE")
        print("locked", flush=True)
        time.sleep(600)
"""


def test_rows_locked_by_a_killed_transaction_are_skipped_then_freed(
        pg_url: str, python: Starter) -> None:
    campaign(pg_url, "c", rows=6).close()
    # A claim that waited for the locked rows would fail after 5 s rather than hang.
    store = open_store(pg_url + "&options=-c%20lock_timeout%3D5s", "c")
    locker = python(LOCK_AND_HANG, pg_url)
    assert locker.stdout.readline() == "locked\n"  # type: ignore[union-attr]
    started = time.monotonic()
    first = store.claim("a", [QUEUED], limit=10, lease=60, now=time.time())
    assert time.monotonic() - started < 5, "a claim waited for locked rows instead of skipping"
    assert [r.key for r in first] == ["r003", "r004", "r005"]
    os.kill(locker.pid, signal.SIGKILL)
    locker.wait(10)
    # The server rolls the dead transaction back once it sees the connection closed.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        freed = store.claim("b", [QUEUED], limit=10, lease=60, now=time.time())
        if freed:
            break
        time.sleep(0.05)
    assert [r.key for r in freed] == ["r000", "r001", "r002"]


OPEN_AND_CREATE = """
    import sys, time
    from pathlib import Path
    from eojobs.batch.records import CampaignInfo
    from eojobs.batch.store import open_store

    url, name, start = sys.argv[1:]
    while not Path(start).exists():
        time.sleep(0.001)
    with open_store(url) as store:
        store.create(CampaignInfo(id=name, name=name, service="Elevation", backend="mock"))
"""


def test_processes_opening_a_new_database_at_once_create_one_schema(
        pg_url: str, tmp_path: Path, python: Starter) -> None:
    start = tmp_path / "start"
    openers = [python(OPEN_AND_CREATE, pg_url, f"c{n}", str(start)) for n in range(6)]
    time.sleep(0.5)
    start.touch()
    for process in openers:
        finish(process)
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT version FROM batch_schema").fetchall() == [(SCHEMA_VERSION,)]
        names = db.execute("SELECT id FROM batch_campaigns ORDER BY id").fetchall()
    assert [n for (n,) in names] == [f"c{n}" for n in range(6)]


def test_many_campaigns_in_one_database(pg_url: str) -> None:
    first = campaign(pg_url, "one", rows=3)
    second = campaign(pg_url, "two", rows=2)
    with pytest.raises(InputError, match="already holds a campaign of 'Elevation'"):
        open_store(pg_url, "one").create(CampaignInfo(id="one", name="x", service="Elevation",
                                                      backend="mock"))
    assert [r.key for r in first.claim("a", [QUEUED], 10, 60, now=5)] == ["r000", "r001", "r002"]
    assert [r.key for r in second.claim("a", [QUEUED], 10, 60, now=5)] == ["r000", "r001"]
    first.update("r000", "a", 6, state=DONE)
    assert second.rows(keys=["r000"])[0].state == QUEUED
    assert first.counts()[DONE] == 1 and second.counts()[DONE] == 0
    # Without a campaign id, a database of several campaigns names none.
    with open_store(pg_url) as unnamed:
        assert unnamed.campaign() is None
        with pytest.raises(InputError, match="holds no campaign, or several"):
            unnamed.rows()


def test_a_database_of_another_schema_version_is_refused(pg_url: str) -> None:
    campaign(pg_url, "c", rows=1).close()
    with psycopg.connect(pg_url) as db:
        db.execute("UPDATE batch_schema SET version = 99")
    with pytest.raises(InputError, match="schema version 99"):
        open_store(pg_url)


def shown(error: BaseException) -> str:
    """The message of ``error`` and of every exception chained to it, shown or not."""
    texts = []
    seen: BaseException | None = error
    while seen is not None:
        texts.append("".join(traceback.format_exception_only(seen)))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(texts)


@pytest.fixture
def password_user(postgres: PostgresServer) -> tuple[str, str]:
    """A user that must log in with a password, and a database it owns: (user, database)."""
    user = f"pw_{os.urandom(4).hex()}"
    postgres.execute(f"CREATE ROLE {user} LOGIN PASSWORD 'Right-Pass-123'")
    postgres.execute(f"CREATE DATABASE {user} OWNER {user}")
    hba = postgres.folder / "pg_hba.conf"
    # The first matching line wins: this user, and only it, logs in with a password.
    hba.write_text(f"local all {user} scram-sha-256\n" + hba.read_text())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # The server reloads its configuration on a signal; ask again until it has, since
        # a busy machine was seen to run out a single ask's wait.
        postgres.execute("SELECT pg_reload_conf()")
        try:
            psycopg.connect(postgres.url_of(user, user, "not-it")).close()
        except psycopg.OperationalError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the server did not start asking for a password")
    return user, user


@pytest.mark.parametrize("password", ["Wrong-Secret-42", "p%40ss%3Aw%2Frd-99"])
def test_a_wrong_password_is_a_config_error_that_never_shows_it(
        postgres: PostgresServer, password_user: tuple[str, str], password: str) -> None:
    user, database = password_user
    with pytest.raises(ConfigError, match="password authentication failed") as caught:
        open_store(postgres.url_of(database, user, password))
    text = shown(caught.value)
    for spelling in {password, password.replace("%40", "@").replace("%3A", ":")
                     .replace("%2F", "/")}:
        assert spelling not in text
    assert f"postgresql://{user}:REDACTED@/{database}" in str(caught.value)
    # The right password opens the store: the password was what was refused.
    with open_store(postgres.url_of(database, user, "Right-Pass-123")) as store:
        assert store.campaign() is None


def test_a_password_in_the_query_is_not_shown_either(
        postgres: PostgresServer, password_user: tuple[str, str]) -> None:
    user, database = password_user
    url = f"postgresql://{user}@/{database}?host={postgres.folder}&password=Query-Secret-7"
    with pytest.raises(ConfigError) as caught:
        open_store(url)
    assert "Query-Secret-7" not in shown(caught.value)


def test_a_malformed_url_is_a_config_error_without_its_password(
        postgres: PostgresServer) -> None:
    # libpq quotes the password back in its complaint about the space.
    with pytest.raises(ConfigError, match="unexpected spaces") as caught:
        open_store(f"postgresql://me:Secret 999@/db?host={postgres.folder}")
    assert "Secret 999" not in shown(caught.value)


def test_no_server_is_an_error_naming_the_database_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://me:Gone-Secret-5@/campaigns?host={tmp_path}"
    with pytest.raises(EOJobsError, match="cannot connect to the campaign database") as caught:
        open_store(url)
    assert f"postgresql://me:REDACTED@/campaigns?host={tmp_path}" in str(caught.value)
    assert "Gone-Secret-5" not in shown(caught.value)


def test_a_lost_connection_fails_one_call_and_the_next_reconnects(
        postgres: PostgresServer, pg_url: str) -> None:
    store = campaign(pg_url, "c", rows=2)
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'eojobs-batch'")
    with pytest.raises(EOJobsError, match="the campaign database failed"):
        store.counts()
    assert store.counts()[QUEUED] == 2


def test_without_psycopg_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    with pytest.raises(ConfigError) as caught:
        open_store("postgres://me:pw@db.example/campaigns")
    assert str(caught.value) == NEED_PSYCOPG
    with pytest.raises(ConfigError, match=r"pip install 'eojobs\[postgres\]'"):
        PostgresStore("postgresql://me@/campaigns")


def test_the_batch_package_imports_no_driver() -> None:
    code = ("import sys, eojobs.batch, eojobs.batch.store, eojobs.batch.store_pg; "
            "print(sorted(m for m in sys.modules if m.startswith('psycopg')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
