"""The download engine: parallel, atomic (``.part`` then rename), size- and checksum-verified."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from eojobs.errors import DownloadError, EOJobsError, InputError
from eojobs.models import Asset

CHUNK = 1 << 20
PART_SUFFIX = ".part"
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)

Opener = Callable[[Asset, int], IO[bytes]]


@dataclass
class DownloadReport:
    """What a download did: files written, files already there, and files that failed."""

    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    scheduled: list[Path] = field(default_factory=list)
    bytes_written: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def raise_for_failures(self) -> None:
        """Raise DownloadError if any file failed."""
        if self.failed:
            first_path, first_reason = self.failed[0]
            raise DownloadError(
                f"{len(self.failed)} of {self._total} files failed, first {first_path}: "
                f"{first_reason}",
                report=self,
            )

    @property
    def _total(self) -> int:
        return len(self.done) + len(self.skipped) + len(self.failed) + len(self.scheduled)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "done": [str(p) for p in self.done],
            "skipped": [str(p) for p in self.skipped],
            "scheduled": [str(p) for p in self.scheduled],
            "failed": [{"path": str(p), "reason": r} for p, r in self.failed],
            "bytes": self.bytes_written,
        }


def safe_name(name: str) -> str:
    """Return ``name`` if it is a plain file name that cannot escape a directory, else raise."""
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or ":" in name
        or _RESERVED.match(name)
    ):
        raise InputError(f"refusing unsafe file name from the backend: {name!r}")
    return name


def download_assets(
    items: Sequence[tuple[Asset, Path]],
    opener: Opener,
    *,
    parallel: int = 4,
    overwrite: bool = False,
    progress: bool = True,
) -> DownloadReport:
    """Download each asset to its path; return what was done, skipped and failed.

    Every file is written under a ``.part`` name and renamed only once it is
    complete and verified, so no incomplete file ever has the final name.
    """
    if parallel < 1:
        raise InputError("parallel must be at least 1")
    report = DownloadReport()
    lock = threading.Lock()
    total = sum(a.size or 0 for a, _ in items)
    bar = _bar(total, progress)

    def advance(n: int) -> None:
        with lock:
            report.bytes_written += n
            bar.update(n)

    def one(asset: Asset, dest: Path) -> None:
        try:
            outcome = _fetch(asset, dest, opener, overwrite, advance)
        except EOJobsError as exc:
            outcome = ("failed", str(exc))
        except OSError as exc:
            outcome = ("failed", f"{exc.strerror or exc} ({exc.filename or dest})")
        with lock:
            if outcome[0] == "done":
                report.done.append(dest)
            elif outcome[0] == "skipped":
                report.skipped.append(dest)
                if asset.size:
                    bar.update(asset.size)
            else:
                report.failed.append((dest, outcome[1]))

    try:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            for future in [pool.submit(one, a, d) for a, d in items]:
                future.result()
    finally:
        bar.close()
    for listing in (report.done, report.skipped):
        listing.sort()
    report.failed.sort()
    return report


def _fetch(
    asset: Asset, dest: Path, opener: Opener, overwrite: bool, advance: Callable[[int], None]
) -> tuple[str, str]:
    if dest.is_dir():
        return ("failed", f"{dest} is a directory")
    if dest.exists() and not overwrite:
        if _same(dest, asset):
            return ("skipped", "")
        return (
            "failed",
            f"a different file already exists at {dest}; download with overwrite "
            "(--overwrite) to replace it",
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own for each writer, so two downloads into one folder never
    # truncate or delete each other's work.
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=PART_SUFFIX)
    part = Path(tmp)
    digest = hashlib.sha256()
    written = 0
    try:
        with opener(asset, 0) as stream, os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                written += len(chunk)
                advance(len(chunk))
        if asset.size is not None and written != asset.size:
            raise DownloadError(f"got {written} bytes, expected {asset.size}")
        if asset.checksum and digest.hexdigest() != asset.checksum.lower():
            raise DownloadError("sha256 checksum does not match")
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return ("done", "")


def _same(path: Path, asset: Asset) -> bool:
    """Whether the file at ``path`` is the asset: by checksum when known, else by size."""
    if asset.size is not None and path.stat().st_size != asset.size:
        return False
    if asset.checksum:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                digest.update(chunk)
        return digest.hexdigest() == asset.checksum.lower()
    return True


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
