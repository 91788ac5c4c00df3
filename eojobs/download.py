"""The download engine: parallel, resumable, atomic, verified.

Each file is written to a partial file in the download folder's hidden
``.eojobs`` folder (see :mod:`eojobs.bookkeeping`), with a small JSON file
beside it saying which asset (size, checksum, ETag) the bytes belong to. An
interrupted download (a dropped connection, Ctrl-C, a killed process) leaves
both, and the next call continues from where it stopped with an offset the
backend turns into an HTTP ``Range``. Only a complete file whose size and
checksum check out is renamed to its final name (see :mod:`eojobs.partfile`),
and goes into the manifest (with its sha256 where there was a checksum to
compute it for) so that later calls skip it without reading it again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import IO, TYPE_CHECKING, Any

from eojobs import diskio
from eojobs.backoff import backoff_delay
from eojobs.bookkeeping import Bookkeeping, legacy_meta, legacy_part
from eojobs.errors import (
    BackendError,
    DownloadError,
    EOJobsError,
    Fix,
    InputError,
    Message,
    NotReady,
    RestartDownload,
    message_of,
)
from eojobs.manifest import Clash, FolderClash, Manifest, read_json, write_json
from eojobs.models import Asset
from eojobs.naming import safe_name
from eojobs.partfile import PartFile
from eojobs.report import DownloadReport
from eojobs.retrying import RetryBudget, own_budget
from eojobs.streams import stream_etag

__all__ = ["Cancelled", "DownloadReport", "RetryPolicy", "download_assets", "safe_name"]

CHUNK = 1 << 20

if TYPE_CHECKING:
    from eojobs.backend import ByteStream

Opener = Callable[[Asset, int], "ByteStream"]


class Cancelled(EOJobsError):
    """The download was cancelled; partial files are kept for the next call."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one file is retried after a transient failure.

    ``attempts`` bounds every try of the file, the requests for its URL
    included (see :mod:`eojobs.retrying`). A file that averages under
    ``min_speed`` bytes/s over ``speed_window`` seconds fails.
    """

    attempts: int = 6
    backoff: float = 0.5
    backoff_max: float = 20.0
    min_speed: float = 1024.0
    speed_window: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based), with jitter."""
        return backoff_delay(attempt, self.backoff, self.backoff_max)


def download_assets(
    items: Sequence[tuple[Asset, Path]],
    opener: Opener,
    *,
    parallel: int = 4,
    overwrite: bool = False,
    progress: bool = True,
    retry: RetryPolicy | None = None,
    cancel: Callable[[], bool] | None = None,
    manifest_dir: Path | None = None,
    file_bars: bool = False,
    job_id: str | None = None,
) -> DownloadReport:
    """Download each asset to its path; return what was done, skipped and failed.

    ``cancel`` is polled between chunks; when it returns True, or on Ctrl-C,
    the workers stop within a second, keep their partial files and the
    report says ``cancelled``. ``file_bars`` adds a bar per file in flight
    under the overall one (on a terminal, like every bar here).

    ``job_id`` names the job the files belong to; the manifest in
    ``manifest_dir`` records it, and unless ``overwrite`` is given, a folder
    holding another job's files under the same names (or their partial
    files) is refused with FolderClash before anything is written.

    Partial files go to the ``.eojobs`` folder of ``manifest_dir`` (or,
    without one, of each file's folder). Two items with the same path are
    never both written: the later ones fail, saying so.
    """
    if parallel < 1:
        raise InputError("parallel must be at least 1")
    manifest = Manifest(manifest_dir) if manifest_dir is not None else None
    report = DownloadReport()
    unique: dict[Path, Asset] = {}
    for asset, dest in items:
        if dest in unique:
            report.failed.append((dest, f"{asset.name} has the same path as another file of "
                                        "the download; it was not written"))
        else:
            unique[dest] = asset
    items = [(asset, dest) for dest, asset in unique.items()]
    if manifest is not None and job_id is not None and not overwrite:
        _refuse_clashes(manifest, list(unique), job_id)
    lock = threading.Lock()
    stop = threading.Event()
    job = _Job(opener, overwrite, retry or RetryPolicy(), manifest,
               lambda: stop.is_set() or bool(cancel and cancel()), job_id, frozenset(unique))
    bar = _bar(sum(a.size or 0 for a, _ in items), progress)

    def advance(n: int) -> None:
        with lock:
            report.bytes_written += n
            bar.update(n)

    slots: Queue[int] = Queue()
    for slot in range(1, parallel + 1):
        slots.put(slot)

    def one(asset: Asset, dest: Path) -> None:
        slot = slots.get()
        file_bar = _file_bar(asset, slot, progress and file_bars)
        step = advance
        if file_bar is not None:
            def step(n: int) -> None:
                advance(n)
                file_bar.update(n)
        try:
            outcome, reason = job.fetch(asset, dest, step)
        except Cancelled:
            outcome, reason = "cancelled", ""
        except NotReady as exc:
            outcome, reason = "scheduled", str(exc)
        except EOJobsError as exc:
            outcome, reason = "failed", message_of(exc)
        except OSError as exc:
            outcome, reason = "failed", f"{exc.strerror or exc} ({exc.filename or dest})"
        except Exception as exc:  # noqa: BLE001 - a worker must report, not vanish
            outcome, reason = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            if file_bar is not None:
                file_bar.close()
            slots.put(slot)
        with lock:
            if outcome in ("done", "unverified"):
                report.done.append(dest)
                if outcome == "unverified":
                    report.unverified.append(dest)
            elif outcome == "skipped":
                report.skipped.append(dest)
                bar.update(asset.size or 0)
            elif outcome == "scheduled":
                report.scheduled.append(dest)
            elif outcome == "cancelled":
                report.cancelled = True
            else:
                report.failed.append((dest, reason))

    pool = ThreadPoolExecutor(max_workers=parallel)
    try:
        pending = {pool.submit(one, a, d) for a, d in items}
        while pending:
            _, pending = wait(pending, timeout=0.2)
            if job.cancelled():
                stop.set()
    except KeyboardInterrupt:
        stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()
    if job.cancelled():
        report.cancelled = True
    for listing in (report.done, report.skipped, report.scheduled, report.unverified):
        listing.sort()
    report.failed.sort()
    return report


class _Job:
    """Fetches one file at a time, with resume, retries and verification."""

    def __init__(self, opener: Opener, overwrite: bool, retry: RetryPolicy,
                 manifest: Manifest | None, cancelled: Callable[[], bool],
                 job_id: str | None = None, dests: frozenset[Path] = frozenset()) -> None:
        self.opener = opener
        self.overwrite = overwrite
        self.retry = retry
        self.manifest = manifest
        self.cancelled = cancelled
        self.job_id = job_id
        self.dests = dests

    def fetch(self, asset: Asset, dest: Path,
              advance: Callable[[int], None]) -> tuple[str, str]:
        if dest.is_dir():
            return ("failed", f"{dest} is a directory")
        recorded = self.manifest.entry(dest) if self.manifest is not None else None
        ours = recorded is not None
        if dest.exists() and not self.overwrite:
            if self._same(dest, asset, recorded):
                return ("skipped", "")
            if not ours:
                return ("failed", Message(f"a different file already exists at {dest}; "
                                          "download with ", Fix("overwrite", True),
                                          " to replace it"))
        dest.parent.mkdir(parents=True, exist_ok=True)
        books = self._books(dest)
        books.create()

        def adopt(part: Path, meta: Path) -> bool:
            return self._adopt_legacy(asset, dest, part, meta)

        with PartFile(books, dest, adopt) as part:
            # Another process may have finished the file while this one waited for it.
            if dest.exists() and not self.overwrite and not ours and self._same(dest, asset,
                                                                                None):
                return ("skipped", "")
            digest = self._resume(asset, dest, part.handle)
            checksum, verified = self._transfer(asset, dest, part.handle, digest, advance)
            part.publish(dest)
        if self.manifest is not None:
            self.manifest.record(dest, checksum, self.job_id)
        return ("done" if verified else "unverified", "")

    def _books(self, dest: Path) -> Bookkeeping:
        """The bookkeeping folder ``dest``'s partial file goes to."""
        return self.manifest.books if self.manifest is not None else Bookkeeping(dest.parent)

    def _meta_path(self, dest: Path) -> Path:
        return self._books(dest).meta(dest)

    def _adopt_legacy(self, asset: Asset, dest: Path, part: Path, meta: Path) -> bool:
        """Move an earlier version's partial file of this asset to ``part``; say if one was.

        Taken only when its description beside it is of this asset (and job,
        if it names one) and its path is no output of this download or of
        the manifest: an output may be called ``NAME.part`` too.
        """
        old_part, old_meta = legacy_part(dest), legacy_meta(dest)
        described = read_json(old_meta)
        if (not described or old_part in self.dests or not old_part.is_file()
                or described.get("size") != asset.size
                or described.get("checksum") != asset.checksum
                or described.get("job", self.job_id) != self.job_id
                or (self.manifest is not None and self.manifest.entry(old_part) is not None)):
            return False
        write_json(meta, described)
        os.replace(old_part, part)
        old_meta.unlink(missing_ok=True)
        return True

    def _same(self, dest: Path, asset: Asset, recorded: dict[str, Any] | None) -> bool:
        """Whether ``dest`` already is the asset (``recorded``: its manifest entry, if any).

        A file the manifest has, unchanged since (size and modification
        time), is read only to compare with a checksum not yet compared; one
        changed since is the asset only if its sha256 shows it.
        """
        if asset.size is not None and dest.stat().st_size != asset.size:
            return False
        wanted = asset.checksum.lower() if asset.checksum else None
        if recorded is not None:
            had = recorded.get("sha256")
            if Manifest.unchanged(dest, recorded):
                return wanted is None or (had or _sha256(dest)) == wanted
            wanted = wanted or had
            return wanted is not None and _sha256(dest) == wanted
        if wanted is None:
            return asset.size is not None  # with nothing to compare, a file is not assumed ours
        return _sha256(dest) == wanted

    def _resume(self, asset: Asset, dest: Path, handle: IO[bytes]) -> Any:
        """Keep what an earlier attempt wrote if it is of this asset; else start afresh."""
        digest = _digest_for(asset)
        meta = read_json(self._meta_path(dest))
        have = os.fstat(handle.fileno()).st_size
        same_asset = meta.get("size") == asset.size and meta.get("checksum") == asset.checksum
        if have and same_asset and (asset.size is None or have <= asset.size):
            if digest is not _NO_DIGEST:
                handle.seek(0)
                for chunk in iter(lambda: handle.read(CHUNK), b""):
                    digest.update(chunk)
            return digest
        return _start_afresh(asset, self._meta_path(dest), handle, have, self.job_id)

    def _transfer(self, asset: Asset, dest: Path, handle: IO[bytes], digest: Any,
                  advance: Callable[[int], None]) -> tuple[str | None, bool]:
        """Copy the rest of the asset into ``handle``; return its sha256, and if it was checked.

        The sha256 is computed only when the asset has a checksum to compare it
        with (else it is None): hashing is a third of the work of a download.

        The file is checked if its size or checksum is known, or every try
        had a Content-Length to tell a body cut short.
        """
        attempt = 0
        sized = True
        budget = RetryBudget(self.retry.attempts - 1)
        while True:
            offset = handle.seek(0, os.SEEK_END)
            before = budget.failures
            try:
                with own_budget(budget):
                    sized = self._copy(asset, dest, handle, digest, offset, advance) and sized
                break
            except RestartDownload:
                digest = _start_afresh(asset, self._meta_path(dest), handle,
                                       os.fstat(handle.fileno()).st_size, self.job_id)
            except (BackendError, OSError) as exc:
                transient = getattr(exc, "transient", exc.errno not in _LOCAL_FAILURES
                                    if isinstance(exc, OSError) else True)
                attempt += 1
                if not transient or not budget.charge(before):
                    raise
            self._sleep(self.retry.delay(max(attempt, 1)))
        size = os.fstat(handle.fileno()).st_size
        if asset.size is not None and size != asset.size:
            raise DownloadError(f"got {size} bytes, expected {asset.size}")
        if asset.checksum and digest.hexdigest() != asset.checksum.lower():
            handle.seek(0)
            handle.truncate()
            self._meta_path(dest).unlink(missing_ok=True)
            raise DownloadError("sha256 checksum does not match; the partial file was dropped")
        return digest.hexdigest(), sized or bool(asset.checksum)

    def _copy(self, asset: Asset, dest: Path, handle: IO[bytes], digest: Any, offset: int,
              advance: Callable[[int], None]) -> bool:
        """One try at the rest of the file; returns whether its size was known to check."""
        if asset.size is not None and offset >= asset.size:
            return True
        with self.opener(asset, offset) as stream:
            sized = asset.size is not None or getattr(stream, "length", None) is not None
            etag = stream_etag(stream)
            meta = read_json(self._meta_path(dest))
            if offset and etag and meta.get("etag") and meta["etag"] != etag:
                raise RestartDownload(f"{asset.name} changed on the server since the last try")
            if etag and meta.get("etag") != etag:
                write_json(self._meta_path(dest), {**meta, "etag": etag})
            handle.flush()
            fd = handle.fileno()
            total = asset.size if asset.size is not None else diskio.total_of(stream, offset)
            reservation = diskio.Reservation(fd, offset, total)
            slice_size = reservation.slice_size
            next_chunk = diskio.reader_of(stream)
            written = offset
            # Hashing in line beat a hashing thread: with two cores, one serving, a third
            # busy thread only competes (1 GiB over loopback, 4 interleaved rounds: median
            # 947 MiB/s and 1.06 CPU s in line, 927 MiB/s and 1.2 CPU s with a thread).
            buffer = memoryview(bytearray(CHUNK))
            speed = _SpeedCheck(self.retry)
            while True:
                # Once every byte is here, only the end is left to read: a cancel then
                # would leave a whole file as .part.
                if (asset.size is None or written < asset.size) and self.cancelled():
                    raise Cancelled("download cancelled")
                # Never ask for more than one byte past the declared size: an endless body stops.
                room = CHUNK if asset.size is None else min(CHUNK, asset.size - written + 1)
                chunk = next_chunk(buffer[:room])
                if not chunk:
                    break
                if asset.size is not None and written + len(chunk) > asset.size:
                    os.ftruncate(fd, 0)
                    self._meta_path(dest).unlink(missing_ok=True)
                    raise DownloadError(f"the server sent more than the {asset.size} bytes it "
                                        "declared; the partial file was dropped")
                try:
                    reservation.ahead_of(written)
                    diskio.write_at(fd, chunk, written, slice_size)
                except OSError:
                    # Keep the file and the digest in step for the retry.
                    with contextlib.suppress(OSError):
                        os.ftruncate(fd, written)
                    raise
                digest.update(chunk)
                written += len(chunk)
                advance(len(chunk))
                speed.passed(len(chunk))
        if asset.size is not None and written < asset.size:
            raise BackendError(f"the connection closed after {written} of {asset.size} bytes",
                               transient=True)
        return sized

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.cancelled():
                raise Cancelled("download cancelled")
            time.sleep(max(0.0, min(0.1, deadline - time.monotonic())))


class _SpeedCheck:
    """Fails a transfer that averages under the policy's least speed over its window."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.since = time.monotonic()
        self.bytes = 0

    def passed(self, n: int) -> None:
        """Count ``n`` more bytes; raise DownloadError if the window closed too slow."""
        self.bytes += n
        now = time.monotonic()
        spent = now - self.since
        if spent < self.policy.speed_window:
            return
        if self.bytes < self.policy.min_speed * spent:
            raise DownloadError(
                f"the server sent {self.bytes} bytes in {spent:.0f} s, slower than the "
                f"{self.policy.min_speed:g} bytes/s a download needs; the partial file is "
                "kept to resume")
        self.since, self.bytes = now, 0


#: Failures of the local disk that waiting will not mend: no retries.
_LOCAL_FAILURES = {errno.ENOSPC, errno.EACCES, errno.EROFS, errno.EDQUOT, errno.EFBIG}


def _start_afresh(asset: Asset, meta_path: Path, handle: IO[bytes], have: int,
                  job_id: str | None) -> Any:
    """Empty the partial file (``have`` bytes long), note in ``meta_path`` which asset is next.

    Returns a new digest.
    """
    handle.seek(0)
    if have:
        # Only when there is something to drop: on ext4, truncating to zero marks the
        # file to be flushed to disk when closed (auto_da_alloc), a quarter second a GiB.
        handle.truncate()
    meta: dict[str, Any] = {"size": asset.size, "checksum": asset.checksum, "etag": None}
    if job_id is not None:
        meta["job"] = job_id
    write_json(meta_path, meta)
    return _digest_for(asset)


class _NoDigest:
    """Stands for a digest where there is no checksum to compare the bytes with."""

    def update(self, data: Any) -> None:
        """Nothing to hash."""

    def hexdigest(self) -> None:
        """No digest."""
        return None


_NO_DIGEST = _NoDigest()


def _digest_for(asset: Asset) -> Any:
    """A sha256 to compute while the bytes arrive, if the asset has a checksum to check."""
    return hashlib.sha256() if asset.checksum else _NO_DIGEST


def _refuse_clashes(manifest: Manifest, dests: Sequence[Path], job_id: str) -> None:
    """Raise FolderClash if a file or partial file of one of ``dests`` is another job's."""
    clashes = manifest.clashes(dests, job_id)
    for dest in dests:
        for part, meta in ((manifest.books.part(dest), manifest.books.meta(dest)),
                           (legacy_part(dest), legacy_meta(dest))):
            owner = read_json(meta).get("job")
            if isinstance(owner, str) and owner != job_id and part.exists():
                clashes.append(Clash(dest, owner, partial=True))
                break
    if clashes:
        raise FolderClash(clashes, job_id, manifest.books.root / job_id)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _file_bar(asset: Asset, slot: int, shown: bool) -> Any:
    if not shown:
        return None
    from tqdm import tqdm

    return tqdm(total=asset.size, unit="B", unit_scale=True, unit_divisor=1024,
                desc=asset.name[:30], position=slot, file=sys.stderr, disable=None, leave=False)


def _bar(total: int, progress: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total or None,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc="download",
        file=sys.stderr,
        disable=None if progress else True,
        leave=False,
    )
