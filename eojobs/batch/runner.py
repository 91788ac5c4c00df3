"""The loop of a campaign: claim rows, submit, start, poll in batches, download, retry.

Crash safety rests on three rules. A row is written as ``submitting`` (its
attempt counted) in one transaction before its job is submitted, and the job
is named with a tag of the campaign id, the row key and the attempt; so a
row found ``submitting`` later is looked up by listing the backend's jobs,
and submitted again only if no job carries its tag. A job's id is written
the moment the backend returns it, and whether it was started is read from
the backend, never assumed. A row is ``done`` only once the download engine
has verified every file; an interrupted download resumes.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eojobs.batch.records import (
    ACTIVE,
    DONE,
    DOWNLOADING,
    FAILED,
    QUEUED,
    SUBMITTED,
    SUBMITTING,
    Row,
)
from eojobs.batch.store import now
from eojobs.errors import BackendError, EOJobsError, InputError, InsufficientCredits, NotFound

if TYPE_CHECKING:
    from eojobs.batch.campaign import Campaign
    from eojobs.connection import Connection
    from eojobs.download import DownloadReport
    from eojobs.models import JobInfo

#: Failures of one row's submit or download before the row is marked failed.
ROW_ERRORS = 5
#: Transient errors in a row of whole-campaign calls (listing, batch status) before giving up.
LOOP_ERRORS = 30


@dataclass(frozen=True)
class RunSettings:
    """How a runner works: caps per backend, retry budget, leases, polling."""

    #: Download each job's files into DIR/<row key>/ as it finishes.
    download: bool = False
    #: Jobs submitted and not yet finished at once, per backend.
    max_running: int = 20
    #: Jobs being downloaded at once, per backend.
    max_downloads: int = 4
    #: Files of one job downloaded at once.
    parallel: int = 4
    #: Times a row's job is tried again after it fails.
    retries: int = 2
    #: Seconds a claimed row stays leased without renewal.
    lease: float = 120.0
    #: Seconds between polls; None for the backend's own interval.
    poll_interval: float | None = None
    #: Show a progress bar on a terminal.
    progress: bool = True


def job_tag(campaign_id: str, key: str, attempt: int) -> str:
    """The tag in a job's name that ties it to a row and an attempt."""
    return f"[batch {campaign_id} row {key} try {attempt}]"


def owner_id() -> str:
    """A runner's owner id: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Runner:
    """Runs a campaign until every row is final, the campaign is paused, or it is stopped."""

    def __init__(self, campaign: Campaign, settings: RunSettings) -> None:
        self.campaign = campaign
        self.store = campaign.store
        self.settings = settings
        self.owner = owner_id()
        self.info = campaign.info
        self._conns: dict[str, Connection] = {}
        self._downloads: dict[str, Future[DownloadReport]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._row_errors: dict[str, int] = {}
        self._loop_errors = 0
        self._paused: str | None = None

    def connection(self, backend: str) -> Connection:
        """The connection to ``backend``, opened once (secrets from env and config)."""
        if backend not in self._conns:
            from eojobs.connection import connect

            self._conns[backend] = connect(backend)
        return self._conns[backend]

    def run(self) -> str | None:
        """Work until done; the reason the campaign paused, or None."""
        self._free_dead_owners()
        backends = self._backends()
        fastest = min(self.connection(b).backend.poll_interval[0] for b in backends)
        interval = self.settings.poll_interval or fastest
        self._pool = ThreadPoolExecutor(self.settings.max_downloads * len(backends),
                                        thread_name_prefix="eojobs-batch")
        bar = self.campaign.progress_bar() if self.settings.progress else None
        try:
            while True:
                if self.store.campaign().stopped:  # type: ignore[union-attr]
                    return None
                self.store.renew(self.owner, self.settings.lease, now())
                busy = 0
                for backend in self._backends():  # rows added meanwhile may bring new ones
                    busy += self._tick(backend)
                busy += self._collect()
                counts = self.store.counts()
                if bar is not None:
                    self.campaign.show_progress(bar, counts)
                if self._paused is not None and busy == 0:
                    return self._paused
                if not self._downloads and not any(counts[s] for s in (QUEUED, *ACTIVE)):
                    return None
                self._wait(interval)
        finally:
            self._shutdown(bar)

    def _wait(self, interval: float) -> None:
        """Sleep ``interval``, or less if a download ends first: its slot is free again."""
        if self._downloads:
            wait(list(self._downloads.values()), timeout=interval, return_when=FIRST_COMPLETED)
        else:
            time.sleep(interval)

    def _backends(self) -> list[str]:
        """The campaign's backend and those of its rows with work left."""
        return sorted({self.info.backend, *self.store.backends([QUEUED, *ACTIVE])})

    def _shutdown(self, bar: Any) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._collect()
        if bar is not None:
            bar.close()
        self.store.release(self.owner)
        for conn in self._conns.values():
            conn.close()

    def _free_dead_owners(self) -> None:
        """Release at once the leases of runners on this host whose process has ended."""
        host = socket.gethostname()
        for owner in self.store.owners():
            name, _, rest = owner.partition(":")
            pid = rest.partition(":")[0]
            if name == host and pid.isdigit() and not _alive(int(pid)):
                self.store.release(owner)

    def _tick(self, backend: str) -> int:
        """One round for one backend; how many rows are still busy there."""
        try:
            busy = self._round(backend)
            self._loop_errors = 0
            return busy
        except BackendError as exc:
            self._loop_errors += 1
            if not exc.transient or self._loop_errors > LOOP_ERRORS:
                raise
            return 1

    def _round(self, backend: str) -> int:
        conn = self.connection(backend)
        held = self.store.claim(self.owner, ACTIVE, 1_000_000, self.settings.lease, now(),
                                backend=backend)
        orphans = [r for r in held if r.state == SUBMITTING]
        if orphans:
            self._recover(conn, orphans)
        submitted = [r for r in held if r.state == SUBMITTED]
        busy = self._poll(conn, submitted)
        downloading = [r for r in self.store.rows(states=[DOWNLOADING])
                       if r.owner == self.owner and (r.backend or self.info.backend) == backend]
        busy += self._start_downloads(conn, downloading)
        if self._paused is None:
            free = self.settings.max_running - busy
            queued = self.store.claim(self.owner, [QUEUED], free, self.settings.lease, now(),
                                      backend=backend)
            for row in queued:
                busy += self._submit(conn, row, row.attempts + 1)
        return busy

    def _recover(self, conn: Connection, rows: list[Row]) -> None:
        """Find the jobs of rows left ``submitting``; submit again those that have none."""
        since = datetime.fromtimestamp(self.info.created, timezone.utc) - timedelta(days=1)
        named = {job.name: job.id for job in conn.jobs(since=since)}
        for row in rows:
            tag = job_tag(self.info.id, row.key, row.attempts)
            found = next((job_id for name, job_id in named.items() if name.endswith(tag)), None)
            if found is not None:
                self.store.update(row.key, self.owner, now(), state=SUBMITTED, job_id=found)
            elif self._paused is None:
                self._submit(conn, row, row.attempts)

    def _submit(self, conn: Connection, row: Row, attempt: int) -> int:
        """Write the row as submitting, then submit and start its job; 1 if it is busy."""
        if not self.store.update(row.key, self.owner, now(), state=SUBMITTING, attempts=attempt):
            return 0
        name = f"{self.info.name} {job_tag(self.info.id, row.key, attempt)}"
        options = {**self.info.options, **row.options}
        try:
            job = conn.create_job(self.info.service, row.region, options, name=name)
        except InsufficientCredits as exc:
            self.store.update(row.key, self.owner, now(), state=QUEUED, attempts=attempt - 1)
            self._pause(conn, exc)
            return 0
        except (InputError, NotFound) as exc:
            self.store.update(row.key, self.owner, now(), state=FAILED, error=str(exc))
            return 0
        except EOJobsError as exc:
            # The job may exist: the row stays submitting and the next round looks for it.
            self._count_error_key(row.key, exc)
            return 1
        self.store.update(row.key, self.owner, now(), state=SUBMITTED, job_id=job.id)
        self._start(conn, row.key, job.id)
        return 1

    def _start(self, conn: Connection, key: str, job_id: str) -> None:
        try:
            conn.backend.start(job_id)
        except InsufficientCredits as exc:
            self._pause(conn, exc)
        except EOJobsError as exc:
            if isinstance(exc, BackendError) and exc.transient:
                return  # the next poll sees the job still created and starts it again
            self._count_error_key(key, exc)

    def _poll(self, conn: Connection, rows: list[Row]) -> int:
        """One batch status call for the rows' jobs; act on each; how many are busy."""
        by_job = {r.job_id: r for r in rows if r.job_id}
        if not by_job:
            return 0
        infos = self._statuses(conn, list(by_job))
        busy = 0
        for job_id, row in by_job.items():
            info = infos.get(job_id)
            if info is None:
                self._finish_job(row, f"job {job_id} is gone from {conn.name}")
            elif info.status.value == "created":
                if self._paused is None:
                    self._start(conn, row.key, job_id)
                    busy += 1
            elif info.status.value == "succeeded":
                state = DOWNLOADING if self.settings.download else DONE
                self.store.update(row.key, self.owner, now(), state=state, error=None)
                busy += state == DOWNLOADING
            elif info.status.finished:
                self._finish_job(row, info.error or f"job {job_id} {info.status.value}")
            else:
                busy += 1
        return busy

    def _statuses(self, conn: Connection, job_ids: list[str]) -> dict[str, JobInfo]:
        """Every job's state in one batch call (a backend splits it as its platform needs);
        if a job is gone, again in chunks, then one by one in the chunk that lacks it."""
        try:
            return {i.id: i for i in conn.backend.get_jobs(job_ids)}
        except NotFound:
            pass
        found: dict[str, JobInfo] = {}
        for start in range(0, len(job_ids), 200):
            chunk = job_ids[start:start + 200]
            try:
                infos = conn.backend.get_jobs(chunk)
            except NotFound:
                infos = []
                for job_id in chunk:
                    try:
                        infos.append(conn.backend.get_job(job_id))
                    except NotFound:
                        pass
            found.update((i.id, i) for i in infos)
        return found

    def _finish_job(self, row: Row, reason: str) -> None:
        """A row whose job failed: queued again within the retry budget, else failed."""
        if row.attempts <= self.settings.retries:
            self.store.update(row.key, self.owner, now(), state=QUEUED, error=reason,
                              job_id=None)
        else:
            tries = f" (after {row.attempts} tries)" if row.attempts > 1 else ""
            self.store.update(row.key, self.owner, now(), state=FAILED, error=reason + tries)

    def _start_downloads(self, conn: Connection, rows: list[Row]) -> int:
        """Hand finished jobs to the download pool, at most the cap at once; rows waiting."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.settings.max_downloads)
        for row in rows:
            name = f"{conn.name}\0{row.key}"
            if name in self._downloads or row.job_id is None:
                continue
            if sum(1 for k in self._downloads if k.startswith(f"{conn.name}\0")) \
                    >= self.settings.max_downloads:
                break
            self._downloads[name] = self._pool.submit(
                self._download, conn, row.job_id, self.campaign.row_dir(row.key))
        return len(rows)

    def _download(self, conn: Connection, job_id: str, target: Path) -> DownloadReport:
        """List a job's files and download them, on a pool thread: listing can take long (a
        platform may make the files then), and the loop goes on polling meanwhile. An error
        is the row's, counted by :meth:`_collect`."""
        from eojobs.job import Job, Result

        job = Job(conn, conn.backend.get_job(job_id))
        result = Result(job, conn.backend.list_assets(job_id))
        return result.download(target, parallel=self.settings.parallel, overwrite=True,
                               progress=False)

    def _collect(self) -> int:
        """Record downloads that ended; how many are still running."""
        for name, future in list(self._downloads.items()):
            if not future.done():
                continue
            del self._downloads[name]
            key = name.partition("\0")[2]
            [row] = self.store.rows(keys=[key]) or [None]
            if row is None or row.owner != self.owner:
                continue
            try:
                report = future.result()
            except Exception as exc:  # noqa: BLE001 - any failure is the row's, retried
                self._count_error_key(row.key, exc, download=True)
                continue
            if report.failed or report.scheduled:
                reason = "; ".join(f"{p.name}: {r}" for p, r in report.failed) or \
                    f"{len(report.scheduled)} file(s) not ready"
                self._count_error_key(row.key, EOJobsError(reason), download=True)
                continue
            files = [*report.done, *report.skipped]
            self.store.update(row.key, self.owner, now(), state=DONE, files=len(files),
                              bytes=sum(p.stat().st_size for p in files if p.exists()))
        return len(self._downloads)

    def _count_error_key(self, key: str, exc: BaseException, download: bool = False) -> None:
        """Count a failure of a row's call; mark the row failed once there are too many."""
        self._row_errors[key] = self._row_errors.get(key, 0) + 1
        if self._row_errors[key] >= ROW_ERRORS:
            what = "download failed" if download else "failed"
            self.store.update(key, self.owner, now(), state=FAILED,
                              error=f"{what} {ROW_ERRORS} times: {exc}")

    def _pause(self, conn: Connection, exc: InsufficientCredits) -> None:
        if self._paused is None:
            self._paused = (f"paused: {exc}; jobs already running on {conn.name} go on, and "
                            "jobs created but not started wait. Add credits, then run the "
                            "campaign again to start them and go on")
            self.store.set_paused(self._paused)


def _alive(pid: int) -> bool:
    """Whether a process of this id runs on this host."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
