"""Campaign inputs on disk, checks that a campaign's files are all there, a real PostgreSQL."""

from __future__ import annotations

import contextvars
import hashlib
import json
import shutil
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import eojobs
from eojobs.batch import Campaign


def square(i: int, size: float = 0.01) -> dict[str, Any]:
    """A small square near Glasgow, a different one for each ``i``."""
    x, y = -4.3 + (i % 10) * 0.02, 55.8 + (i // 10) * 0.02
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature_collection(path: Path, count: int, start: int = 0) -> Path:
    """A FeatureCollection of ``count`` squares keyed ``f<i>``."""
    features = [{"type": "Feature", "properties": {"key": f"f{i:03d}"}, "geometry": square(i)}
                for i in range(start, start + count)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` and its bytes (the database by its rows), to show nothing
    changed."""
    import sqlite3

    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file() and not p.name.startswith("campaign.db")}
    db = sqlite3.connect(folder / "campaign.db")
    files["rows"] = repr(db.execute("SELECT * FROM batch_rows ORDER BY seq").fetchall()).encode()
    files["campaign"] = repr(db.execute("SELECT * FROM batch_campaigns").fetchall()).encode()
    db.close()
    return files


def check_downloads(campaign: Campaign, conn: eojobs.Connection) -> None:
    """Every done row's folder holds exactly its job's files, of the size and checksum given."""
    for row in campaign.rows():
        assert row.state == "done", (row.key, row.state, row.error)
        folder = campaign.row_dir(row.key)
        manifest = json.loads((folder / ".eojobs" / "manifest.json").read_text())
        assets = conn.backend.list_assets(row.job_id)
        assert assets and len(manifest) == len(assets) == row.files
        for name, entry in manifest.items():
            data = (folder / name).read_bytes()
            assert entry["job"] == row.job_id
            assert len(data) == entry["size"]
            if "sha256" in entry:
                assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        sizes = sorted(entry["size"] for entry in manifest.values())
        assert sizes == sorted(a.size for a in assets if a.size is not None) or \
            any(a.size is None for a in assets)


@contextmanager
def running(directory: Path, until: Callable[[dict[str, int]], bool]) -> Iterator[dict[str, Any]]:
    """A run of the campaign in ``directory`` on a thread, under way once ``until(counts)``.

    The block acts on the running campaign; when it ends, the run is waited
    for, and the dict yielded holds what ``run`` returned (``"paused"``).
    The run has a Campaign (a database connection) of its own, as a runner
    in another process would. Its thread runs in a copy of this context,
    so it sees the plugins a test registered.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with Campaign.open(directory) as campaign:
                outcome["paused"] = campaign.run(progress=False)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    worker = threading.Thread(target=contextvars.copy_context().run, args=(work,), daemon=True)
    with Campaign.open(directory) as watcher:
        worker.start()
        try:
            deadline = time.monotonic() + 30
            while not until(watcher.status()):
                assert worker.is_alive(), outcome
                assert time.monotonic() < deadline, watcher.status()
                time.sleep(0.02)
            yield outcome
        except BaseException:
            watcher.store.set_stopped(True)  # the block failed: end the run it left going
            raise
        finally:
            worker.join(20)
            hung = worker.is_alive()
            if hung:
                watcher.store.set_stopped(True)
                worker.join(20)
    assert not hung, f"the run did not end: {outcome}"
    assert "error" not in outcome, outcome


@pytest.fixture
def fusion_apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """`-b fusion` talks to `eojobs mock serve` on a platform of its own, not the one `-b mock`
    runs on (as fusion_env's does), so that each backend's jobs are told apart."""
    from eojobs_mock.server.runner import start_server

    server = start_server(tmp_path / "fusion-platform")
    try:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        monkeypatch.setenv("EOJOBS_FUSION_EMAIL", server.email)
        monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", server.password)
        yield server
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A real PostgreSQL (pgserver's embedded 16) in a temporary folder, for the session.

    Skips with the reason only where no PostgreSQL can start (pgserver or
    psycopg not installed, or the server failing to start on this machine).
    """
    # Not under pytest's temporary folder: that is private to root (0700), and the server
    # runs as a user of its own, which was then seen to lose access to its pg_hba.conf.
    base = Path(tempfile.mkdtemp(prefix="eojobs-pg-"))
    base.chmod(0o755)
    folder = base / "pgdata"
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset (as in containers and CI).
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
        try:
            import pgserver
            import psycopg  # noqa: F401
        except ImportError as exc:
            pytest.skip(f"no PostgreSQL for the tests: {exc.name} is not installed "
                        "(pip install -e '.[test]')")
        try:
            server = pgserver.get_server(folder, cleanup_mode="stop")
        except Exception as exc:  # noqa: BLE001 - any failure to start means no PostgreSQL here
            pytest.skip(f"pgserver could not start PostgreSQL in {folder}: {exc}")
    try:
        yield PostgresServer(server.get_uri(), folder)
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


@dataclass(frozen=True)
class PostgresServer:
    """A running PostgreSQL: its admin URL (over a Unix socket) and data folder."""

    url: str
    folder: Path

    def url_of(self, database: str, user: str = "postgres", password: str = "") -> str:
        """The URL of ``database`` on this server, as ``user``."""
        return f"postgresql://{user}:{password}@/{database}?host={self.folder}"

    def execute(self, statement: str) -> None:
        """Run one statement as the admin, outside a transaction (CREATE DATABASE, roles)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(statement)

    def new_database(self) -> str:
        """The URL of a new, empty database of its own."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.execute(f"CREATE DATABASE {name}")
        return self.url_of(name)


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """The URL of an empty PostgreSQL database for this test alone."""
    return postgres.new_database()
