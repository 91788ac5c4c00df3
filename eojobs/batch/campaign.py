"""Campaign: one service over many regions, kept in a folder that holds its state and files."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from eojobs.batch.records import (
    ACTIVE,
    DONE,
    DOWNLOADING,
    FAILED,
    QUEUED,
    STOPPED,
    SUBMITTED,
    SUBMITTING,
    CampaignInfo,
    NewRow,
    Row,
)
from eojobs.batch.runner import Runner, RunSettings
from eojobs.batch.sources import check_keys, read_rows
from eojobs.batch.store import SQLiteStore, SQLStore, now, open_store
from eojobs.errors import EOJobsError, Fix, InputError, Message

#: The state database in a campaign's folder.
DB_NAME = "campaign.db"
#: Where a campaign whose state is in a shared database names it (never with a password).
POINTER_NAME = "campaign.json"
#: The summary a run leaves in the campaign's folder.
SUMMARY_NAME = "summary.json"

RegionsArg = str | os.PathLike[str] | Sequence[NewRow]


class Campaign:
    """A campaign of jobs: one service, shared options, one row (one job) per region.

    Make one with :meth:`create`, or :meth:`open` the one in a folder. Its
    rows, their jobs and their states live in ``DIR/campaign.db``; each row's
    files go to ``DIR/<row key>/``.
    """

    def __init__(self, directory: Path, store: SQLStore) -> None:
        self.directory = directory
        self.store = store
        found = store.campaign()
        if found is None:
            raise InputError(f"{directory} holds no campaign")
        #: What the campaign runs, as stored.
        self.info: CampaignInfo = found

    def __repr__(self) -> str:
        return f"<Campaign {self.info.name!r} of {self.info.service} in {self.directory}>"

    def __enter__(self) -> Campaign:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the state database."""
        self.store.close()

    @classmethod
    def open(cls, directory: str | os.PathLike[str], db: str | None = None) -> Campaign:
        """The campaign in ``directory``; InputError if there is none.

        A campaign whose state is in a shared PostgreSQL database needs its
        URL as ``db`` (the folder names the database, without the password).
        """
        folder = Path(directory).expanduser()
        if (folder / DB_NAME).is_file():
            if db is not None:
                raise InputError(f"{folder} keeps its campaign in {DB_NAME}, not in a shared "
                                 "database; open it without a database URL")
            return cls(folder, SQLiteStore(folder / DB_NAME))
        pointer = _read_pointer(folder)
        if pointer is None:
            raise InputError(f"{folder} holds no campaign (no {DB_NAME} or {POINTER_NAME} in it)")
        if db is None:
            raise InputError(Message(
                f"the state of the campaign in {folder} is in the database "
                f"{pointer['database']}: give its URL (", Fix("db", "postgresql://..."), ")"))
        return cls(folder, open_store(db, pointer["campaign"]))

    @classmethod
    def create(cls, directory: str | os.PathLike[str], service: str, regions: RegionsArg,
               options: Mapping[str, Any] | None = None, backend: str | None = None,
               name: str | None = None, db: str | None = None) -> Campaign:
        """A new campaign of ``service`` over ``regions`` (a file or folder, or rows).

        Every row is checked first (its region, and the options with the
        row's own against the service's specs); nothing is written unless all
        pass. InputError if ``directory`` already holds a campaign. With
        ``db``, a PostgreSQL URL, the state goes to that database, where
        runners on other machines find the campaign by its name.
        """
        from eojobs.connection import connect

        folder = Path(directory).expanduser()
        if (folder / DB_NAME).exists() or (folder / POINTER_NAME).exists():
            raise InputError(f"{folder} already holds a campaign; open it, or give another "
                             "folder")
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder} exists and is not a folder")
        rows = _rows_of(regions)
        with connect(backend) as conn:
            svc = conn.service(service)
            backend_name = conn.name
            _check_rows(conn, svc, dict(options or {}), rows)
        info = CampaignInfo(id=uuid.uuid4().hex[:12], name=name or svc.name, service=svc.name,
                            backend=backend_name, options=dict(options or {}), created=now())
        store = open_store(db) if db is not None else None
        try:
            if store is not None and store.campaign_named(info.name) is not None:
                raise InputError(f"the database already holds a campaign named {info.name!r}; "
                                 "give another name, or the same service, backend and "
                                 "options to join it")
            folder.mkdir(parents=True, exist_ok=True)
            if store is None:
                store = SQLiteStore(folder / DB_NAME)
            store.create(info)
            store.add(rows, now())
            if db is not None:
                _write_pointer(folder, info, db)
        except BaseException:
            if store is not None:
                store.close()
            raise
        return cls(folder, store)

    @classmethod
    def create_or_open(cls, directory: str | os.PathLike[str], service: str,
                       regions: RegionsArg, options: Mapping[str, Any] | None = None,
                       backend: str | None = None, name: str | None = None,
                       db: str | None = None) -> Campaign:
        """The campaign in ``directory`` if it runs ``service``, with rows of ``regions`` added
        that it lacks; else a new one (see :meth:`create`).

        With ``db``, a folder that holds no campaign yet joins the database's
        campaign of that name (by default the service's), if there is one:
        this is how runners on several machines share a campaign.
        InputError if the campaign runs another service, on another backend or
        with other options.
        """
        folder = Path(directory).expanduser()
        held = (folder / DB_NAME).exists() or (folder / POINTER_NAME).exists()
        joined = False
        if not held and db is not None:
            found = cls._join(folder, db, name or service, backend)
            if found is None:
                try:
                    return cls.create(folder, service, regions, options, backend, name, db)
                except InputError:
                    # Another runner made the campaign in the meantime: join it.
                    found = cls._join(folder, db, name or service, backend)
                    if found is None:
                        raise
            campaign, joined = found, True
        elif not held:
            return cls.create(folder, service, regions, options, backend, name)
        else:
            campaign = cls.open(folder, db)
        from eojobs.connection import connect

        try:
            info = campaign.info
            with connect(backend or info.backend) as conn:
                asked = conn.service(service).name
                there = conn.name
            if asked != info.service or there != info.backend:
                raise InputError(f"{folder} holds a campaign of {info.service!r} on "
                                 f"{info.backend}, not of {asked!r} on {there}; give another "
                                 "folder")
            if dict(options or {}) != info.options:
                raise InputError(f"{folder} holds a campaign with options {info.options}, not "
                                 f"{dict(options or {})}; give the same options to resume it, "
                                 "or another folder")
            known = {r.key for r in campaign.store.rows()}
            new = [r for r in _rows_of(regions) if r.key not in known]
            if new:
                campaign.add(new)
            if joined and db is not None:
                folder.mkdir(parents=True, exist_ok=True)
                _write_pointer(folder, info, db)
        except BaseException:
            campaign.close()
            raise
        return campaign

    @classmethod
    def _join(cls, folder: Path, db: str, name: str, backend: str | None) -> Campaign | None:
        """The database's campaign called ``name`` (or named after the service ``name``
        stands for), to be kept in ``folder``; None if the database has none."""
        store = open_store(db)
        try:
            found = store.campaign_named(name)
            if found is None:
                from eojobs.connection import connect

                with connect(backend) as conn:
                    try:
                        found = store.campaign_named(conn.service(name).name)
                    except EOJobsError:
                        found = None
            if found is None:
                store.close()
                return None
            store.campaign_id = found
            return cls(folder, store)
        except BaseException:
            store.close()
            raise

    def add(self, regions: RegionsArg) -> int:
        """Add rows (from a file or folder, or given), all checked first; how many.

        InputError, with nothing added, if a row is bad or its key is taken.
        """
        from eojobs.connection import connect

        rows = _rows_of(regions)
        with connect(self.info.backend) as conn:
            _check_rows(conn, conn.service(self.info.service), self.info.options, rows)
        return self.store.add(rows, now())

    def row_dir(self, key: str) -> Path:
        """Where a row's files go: ``DIR/<key>/``."""
        return self.directory / key

    def run(self, settings: RunSettings | None = None, **given: Any) -> str | None:
        """Run until every row is done or failed; the reason it paused, or None.

        ``settings`` (or keyword arguments, see :class:`RunSettings`) set the
        caps, the retry budget and downloading. A rerun goes on where the last
        one ended, after a crash too. Writes ``DIR/summary.json`` at the end.
        """
        chosen = settings or RunSettings(**given)
        self.store.set_stopped(False)
        self.store.set_paused(None)
        try:
            return Runner(self, chosen).run()
        finally:
            self.info = self.store.campaign() or self.info
            self.write_summary()

    def status(self) -> dict[str, int]:
        """How many rows are in each state."""
        return self.store.counts()

    def rows(self, states: Sequence[str] | None = None) -> list[Row]:
        """The rows, in the order they were added; optionally only some states."""
        return self.store.rows(states=states)

    def retry(self, failed_only: bool = False) -> int:
        """Queue failed (and, unless ``failed_only``, stopped) rows again; how many."""
        states = [FAILED] if failed_only else [FAILED, STOPPED]
        count = self.store.requeue(states, now())
        self.write_summary()
        return count

    def stop(self, wait: float = 30.0) -> int:
        """Stop the campaign's running jobs and its runners; how many jobs were stopped.

        Runners end at their next round; this waits up to ``wait`` seconds for
        them to let go of their rows, since a row a runner holds cannot be
        changed by another. Rows with a job not finished are marked stopped;
        ``retry`` queues them again.
        """
        from eojobs.connection import connect

        self.store.set_stopped(True)
        self._wait_for_runners(wait)
        owner = f"stop:{uuid.uuid4().hex[:8]}"
        stopped = 0
        rows = self.store.claim(owner, [*ACTIVE, QUEUED], 1_000_000, 60.0, now(), None)
        conns: dict[str, Any] = {}
        try:
            for row in rows:
                if row.state == QUEUED:
                    continue
                if row.job_id and row.state in (SUBMITTED, SUBMITTING):
                    backend = row.backend or self.info.backend
                    conn = conns.get(backend) or conns.setdefault(backend, connect(backend))
                    try:
                        job = conn.job(row.job_id)
                        if not job.status.finished:
                            job.stop() if job.status.value != "created" else job.delete()
                            stopped += 1
                    except EOJobsError as exc:
                        self.store.update(row.key, owner, now(), error=f"not stopped: {exc}")
                        continue
                if row.state != DOWNLOADING:
                    self.store.update(row.key, owner, now(), state=STOPPED)
        finally:
            self.store.release(owner)
            for conn in conns.values():
                conn.close()
        self.write_summary()
        return stopped

    def _wait_for_runners(self, wait: float) -> None:
        """Wait up to ``wait`` seconds until no runner holds a lease on an unfinished row.

        Leases of runners on this host whose process has ended are freed at once.
        """
        import time

        Runner(self, RunSettings(progress=False))._free_dead_owners()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            moment = now()
            if not any(r.owner is not None and (r.lease_until or 0.0) > moment
                       for r in self.store.rows(states=[QUEUED, *ACTIVE])):
                return
            time.sleep(0.05)

    def summary(self) -> dict[str, Any]:
        """Counts, failures with their reasons, and where the files are."""
        rows = self.store.rows()
        return {
            "campaign": self.info.id, "name": self.info.name, "service": self.info.service,
            "backend": self.info.backend, "options": self.info.options,
            "directory": str(self.directory), "paused": self.info.paused,
            "counts": self.store.counts(),
            "failed": [{"key": r.key, "error": r.error, "attempts": r.attempts}
                       for r in rows if r.state == FAILED],
            "done": [{"key": r.key, "job_id": r.job_id, "files": r.files, "bytes": r.bytes,
                      "folder": str(self.row_dir(r.key)) if r.files is not None else None}
                     for r in rows if r.state == DONE],
        }

    def write_summary(self) -> Path:
        """Write :meth:`summary` to ``DIR/summary.json`` atomically; its path."""
        from eojobs.atomic import replace_text

        path = self.directory / SUMMARY_NAME
        replace_text(path, json.dumps(self.summary(), indent=2) + "\n")
        return path

    def progress_bar(self, file: IO[str] | None = None) -> Any:
        """A tqdm bar over the campaign's rows, on ``file`` (stderr by default), hidden off a
        terminal."""
        import sys

        from tqdm import tqdm

        return tqdm(total=sum(self.store.counts().values()), desc=self.info.name, unit="row",
                    file=file or sys.stderr, disable=None, leave=True)

    @staticmethod
    def show_progress(bar: Any, counts: Mapping[str, int]) -> None:
        """Set the bar to rows finished, with done, running, queued and failed after it."""
        running = sum(counts[s] for s in (SUBMITTING, SUBMITTED, DOWNLOADING))
        bar.total = sum(counts.values())
        bar.n = counts[DONE] + counts[FAILED] + counts[STOPPED]
        bar.set_postfix_str(f"done {counts[DONE]}, running {running}, queued {counts[QUEUED]}, "
                            f"failed {counts[FAILED]}", refresh=False)
        bar.refresh()


def _write_pointer(folder: Path, info: CampaignInfo, db: str) -> None:
    """Name the shared database and the campaign in ``folder``; the URL without its password."""
    from eojobs.atomic import replace_text
    from eojobs.redact import redact_url

    replace_text(folder / POINTER_NAME, json.dumps(
        {"campaign": info.id, "name": info.name, "database": redact_url(db)}, indent=2) + "\n")


def _read_pointer(folder: Path) -> dict[str, str] | None:
    """What ``folder``'s pointer names, or None when it has none; InputError if unreadable."""
    path = folder / POINTER_NAME
    if not path.is_file():
        return None
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} cannot be read: {exc}") from None
    if not isinstance(found, dict) or not all(isinstance(found.get(k), str)
                                              for k in ("campaign", "database")):
        raise InputError(f"{path} does not name a campaign and its database")
    return found


def _rows_of(regions: RegionsArg) -> list[NewRow]:
    if isinstance(regions, (str, os.PathLike)):
        return read_rows(regions)
    rows = list(regions)
    if not rows:
        raise InputError("no rows were given")
    check_keys(rows, "rows")
    return rows


def _check_rows(conn: Any, service: Any, options: dict[str, Any], rows: list[NewRow]) -> None:
    """InputError naming the first row whose options or region its backend's service refuses.

    A row of another backend than ``conn``'s is checked against that
    backend's service of the same name: each backend has its own catalogue
    and limits, and the row's job runs there.
    """
    from eojobs.connection import connect
    from eojobs.geo.limits import check_limits
    from eojobs.options import coerce_options
    from eojobs.region import Region

    targets = {conn.name: (conn, service, conn.backend.region_limits(service))}
    opened = []
    try:
        for row in rows:
            where = f"row {row.key!r}"
            try:
                name = row.backend or conn.name
                if name not in targets:
                    other = connect(name)
                    opened.append(other)
                    there = other.service(service.name)
                    targets[name] = (other, there, other.backend.region_limits(there))
                here, svc, limits = targets[name]
                coerce_options(svc, {**options, **row.options})
                check_limits(Region.parse(row.region), limits, here.backend.name)
            except EOJobsError as exc:
                text = f"{where}: {exc}"
                raise (type(exc)(text) if isinstance(exc, InputError)
                       else InputError(text)) from None
    finally:
        for other in opened:
            other.close()
