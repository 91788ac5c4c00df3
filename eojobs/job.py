"""Job and Result: start, wait, stop, delete, logs, results and downloads of one job."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eojobs.errors import (
    EOJobsError,
    InputError,
    JobFailed,
    NoResults,
    NotStarted,
    RestartDownload,
)
from eojobs.models import Asset, Capability, Execution, JobInfo, JobStatus, LogEntry, LogLevel
from eojobs.naming import UnsafeName
from eojobs.waiting import WaitPolicy, intervals_for, wait_for_jobs

if TYPE_CHECKING:
    from eojobs.backend import Backend
    from eojobs.connection import Connection
    from eojobs.download import DownloadReport, RetryPolicy
    from eojobs.region import Region
    from eojobs.streams import ByteStream


class Job:
    """A job on a backend. Its properties reflect the last state fetched; see :meth:`refresh`."""

    def __init__(self, connection: Connection, info: JobInfo) -> None:
        self.connection = connection
        self.info = info

    def __repr__(self) -> str:
        price = "" if self.price is None else f", {self.price:g} credits"
        return f"<Job {self.id} {self.name!r} {self.status.value} {self.progress:.0f}%{price}>"

    def __str__(self) -> str:
        return f"job {self.id} ({self.name}, {self.status.value})"

    @property
    def backend(self) -> Backend[Any]:
        """The backend the job is on: its connection's."""
        return self.connection.backend

    @property
    def id(self) -> str:
        """The backend's id of the job."""
        return self.info.id

    @property
    def name(self) -> str:
        """The job's name."""
        return self.info.name

    @property
    def status(self) -> JobStatus:
        """The status when last fetched."""
        return self.info.status

    @property
    def price(self) -> float | None:
        """The price the backend quoted, in its credits, per run."""
        return self.info.price

    @property
    def runs(self) -> int:
        """How many times the job runs: its schedule's repeat count, else once."""
        schedule = self.info.schedule
        return schedule.repeat_count if schedule is not None else 1

    @property
    def total_price(self) -> float | None:
        """The price of all its runs together (:attr:`price` times :attr:`runs`)."""
        return None if self.price is None else self.price * self.runs

    @property
    def progress(self) -> float:
        """Percent complete, 0 to 100, when last fetched."""
        return self.info.progress

    @property
    def executions(self) -> list[Execution]:
        """The executions: slices of each run, and aggregators."""
        return self.info.executions

    def refresh(self) -> Job:
        """Fetch the current state from the backend."""
        self.info = self.backend.get_job(self.id)
        return self

    def start(self) -> Job:
        """Start the job (or arm its schedule)."""
        self.info = self.backend.start(self.id)
        return self

    def wait(
        self,
        timeout: float | None = None,
        poll_interval: float | None = None,
        progress: bool = True,
        policy: WaitPolicy | None = None,
    ) -> Job:
        """Wait until the job finishes; works on a job started anywhere.

        Raises JobFailed (with the error log lines) when it fails or is
        stopped, and WaitTimeout when ``timeout`` seconds pass first; the job
        keeps running then. Transient errors while polling are ridden out
        within ``policy``'s soft-error budget.
        """
        self.refresh()
        if self.status is JobStatus.CREATED:
            raise NotStarted(f"job {self.id} has not been started", job_ids=[self.id])
        states = wait_for_jobs(
            lambda _: [self.backend.get_job(self.id)],
            [self.id],
            policy=policy,
            timeout=timeout,
            intervals=intervals_for(poll_interval, self.backend.poll_interval),
            progress=progress,
            label=f"{self.name} ({self.id[:8]})",
        )
        self.info = states[self.id]
        self._raise_if_unsuccessful()
        return self

    def start_and_wait(
        self,
        timeout: float | None = None,
        poll_interval: float | None = None,
        progress: bool = True,
    ) -> Job:
        """Start the job, then :meth:`wait` for it."""
        self.start()
        return self.wait(timeout=timeout, poll_interval=poll_interval, progress=progress)

    def stop(self) -> Job:
        """Stop the job; its finished outputs stay."""
        self.connection.require(Capability.STOP, "stopping jobs")
        self.info = self.backend.stop(self.id)
        return self

    def delete(self) -> None:
        """Delete the job and its outputs on the backend."""
        self.backend.delete(self.id)

    def logs(self, level: LogLevel | str | None = None) -> list[LogEntry]:
        """The job's log lines, optionally only those of one level (e.g. ``"error"``)."""
        wanted = None
        if level is not None:
            try:
                wanted = LogLevel(level.lower() if isinstance(level, str) else level)
            except ValueError:
                names = ", ".join(v.value for v in LogLevel)
                raise InputError(f"no log level {level!r}; levels: {names}") from None
        self.connection.require(Capability.LOGS, "job logs")
        entries = self.backend.logs(self.id)
        return [e for e in entries if e.level is wanted] if wanted else entries

    def region(self) -> Region:
        """The region the job was created with, as the backend gives it back."""
        from eojobs.region import Region

        return Region.parse(self.backend.job_region(self.id))

    def results(self) -> Result:
        """The job's output files; raises if it has produced none yet."""
        self.refresh()
        assets = self.backend.list_assets(self.id)
        if not assets:
            state = self.status.value
            if self.status.finished:
                text = f"job {self.id} {state} and has no results"
            elif self.status is JobStatus.CREATED:
                text = f"job {self.id} has not been started, so it has no results"
            else:
                text = f"job {self.id} has no results yet: it is {state}"
            raise NoResults(text, job_id=self.id, status=state)
        return Result(self, assets)

    def _raise_if_unsuccessful(self) -> None:
        if self.status is JobStatus.SUCCEEDED:
            return
        logs: list[LogEntry] = []
        unread = ""
        if Capability.LOGS in self.connection.capabilities:
            try:
                logs = [e for e in self.backend.logs(self.id) if e.level is LogLevel.ERROR]
            except EOJobsError as exc:  # the failure stands; only its reason is unknown
                unread = f" (its logs could not be read: {exc})"
        verb = "was stopped" if self.status is JobStatus.STOPPED else "failed"
        reason = self.info.error or (logs[-1].message if logs else "no reason given" + unread)
        raise JobFailed(f"job {self.id} ({self.name}) {verb}: {reason}", job=self, logs=logs)


class Result:
    """The output files of a job, ready to download."""

    def __init__(self, job: Job, assets: list[Asset]) -> None:
        self.job = job
        self.assets = assets
        self._paths: tuple[tuple[int, ...], dict[int, Path | UnsafeName]] | None = None

    def __repr__(self) -> str:
        names = ", ".join(a.name for a in self.assets[:4])
        more = f", ... {len(self.assets) - 4} more" if len(self.assets) > 4 else ""
        return f"<Result of job {self.job.id}: {len(self.assets)} files ({names}{more})>"

    def relative_path(self, asset: Asset) -> Path:
        """Where an asset goes below the download directory.

        A job with one execution puts its files at the top; otherwise each
        execution gets a folder such as ``slice-01`` or ``aggregate`` (and
        ``run-2/`` before them for scheduled jobs that ran more than once).
        Files that would share a path get distinct names, such as
        ``scene (2).tif``, the same on every call (see
        :func:`eojobs.naming.distinct_paths`). Raises UnsafeName for a name
        (or execution id) that is not safe to write.
        """
        paths = self._relative_paths()
        found = paths.get(id(asset))
        if found is None:  # not one of self.assets
            found = self._base_path(asset)
        if isinstance(found, UnsafeName):
            raise found
        return found

    def _relative_paths(self) -> dict[int, Path | UnsafeName]:
        """Each asset's path (by ``id``), or why it has none; worked out once per asset list."""
        key = tuple(id(a) for a in self.assets)
        if self._paths is not None and self._paths[0] == key:
            return self._paths[1]
        from eojobs.naming import distinct_paths

        found: dict[int, Path | UnsafeName] = {}
        safe: list[tuple[Asset, Path]] = []
        for asset in self.assets:
            try:
                path = self._base_path(asset)
            except UnsafeName as exc:
                found[id(asset)] = exc
            else:
                safe.append((asset, path))
        order = [(a.execution_id, a.component, a.href, a.name) for a, _ in safe]
        for (asset, _), path in zip(safe, distinct_paths([p for _, p in safe], order),
                                    strict=True):
            found[id(asset)] = Path(path)
        self._paths = (key, found)
        return found

    def _base_path(self, asset: Asset) -> Path:
        """The path of ``asset`` from its name and execution, before telling apart equal ones."""
        from eojobs.naming import safe_name

        executions = {e.id: e for e in self.job.executions}
        used = {a.execution_id for a in self.assets}
        name = safe_name(asset.name)
        if len(used) <= 1:
            return Path(name)
        execution = executions.get(asset.execution_id)
        if execution is None:
            return Path(safe_name(asset.execution_id)) / name
        runs = {executions[e].run for e in used if e in executions}
        in_run = [e for e in used if e in executions and executions[e].run == execution.run]
        parts = [f"run-{execution.run + 1}"] if len(runs) > 1 else []
        if len(in_run) > 1:
            parts.append(safe_name(execution.part or execution.id))
        return Path(*parts, name)

    def write_stac(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Write a STAC Item beside each file and a Collection at the top of ``directory``."""
        from eojobs import stac

        return stac.write(self, Path(directory).expanduser())

    def stac(self, directory: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The STAC document of the results: the back-end's own where it keeps one.

        With ``directory``, the folder the job was downloaded into, the hrefs of
        files downloaded there are their paths; see :mod:`eojobs.stac_document`.
        """
        from eojobs.stac_document import document

        return document(self, None if directory is None else Path(directory).expanduser())

    def download(
        self,
        directory: str | os.PathLike[str],
        parallel: int = 4,
        overwrite: bool = False,
        progress: bool = True,
        cancel: Callable[[], bool] | None = None,
        retry: RetryPolicy | None = None,
        extract: bool = False,
        file_bars: bool = False,
    ) -> DownloadReport:
        """Download every asset below ``directory``; returns done, skipped and failed files.

        Running it again finishes an interrupted download: partial files are
        resumed and files already verified are skipped. ``cancel`` is polled
        while downloading; when it returns True the download stops, keeping
        what it has for the next call. Files that an earlier download wrote
        into ``directory`` for another job are never replaced without
        ``overwrite``: the download is refused with FolderClash (naming them)
        before anything is written. With ``extract``, each ZIP file is
        unpacked into a folder of its name beside it, safely (see
        :mod:`eojobs.archives`); a refused archive is reported as failed.
        A file whose name is not safe to write is not downloaded: it is
        reported as failed, under its name with control characters escaped
        (see :func:`eojobs.naming.printable`), and the other files are.
        """
        from eojobs.download import download_assets

        target = Path(directory).expanduser()
        if target.exists() and not target.is_dir():
            raise InputError(f"{target} exists and is not a directory")
        items, refused = [], []
        for asset in self.assets:
            try:
                items.append((asset, target / self.relative_path(asset)))
            except UnsafeName as exc:
                # Never a path made of the hostile name: it could lead out of ``target``.
                refused.append((target / f"(unsafe name {len(refused) + 1})", str(exc)))
        target.mkdir(parents=True, exist_ok=True)
        report = download_assets(
            items, _opener(self.job), parallel=parallel, overwrite=overwrite,
            progress=progress, cancel=cancel, manifest_dir=target, retry=retry,
            file_bars=file_bars, job_id=self.job.id,
        )
        report.failed = sorted([*report.failed, *refused])
        if extract:
            self._extract(report)
        return report

    @staticmethod
    def _extract(report: DownloadReport) -> None:
        from eojobs.archives import extract_zip

        for path in [*report.done, *report.skipped]:
            if path.suffix.lower() != ".zip":
                continue
            try:
                extract_zip(path, path.with_suffix(""))
            except InputError as exc:
                report.failed.append((path, f"not extracted: {exc}"))


def _opener(job: Job) -> Callable[[Asset, int], ByteStream]:
    """``backend.open_asset``; for a backend that cannot resume, asked for offset 0 only.

    Without :attr:`Capability.RESUMABLE_DOWNLOADS`, a later try asks for the
    whole file again rather than trusting the backend to honour an offset.
    """
    backend = job.backend
    if Capability.RESUMABLE_DOWNLOADS in job.connection.capabilities:
        return backend.open_asset

    def whole_files(asset: Asset, offset: int) -> ByteStream:
        if offset:
            raise RestartDownload(f"the {backend.name} backend cannot resume {asset.name}")
        return backend.open_asset(asset, 0)

    return whole_files
