"""The ``.eojobs`` folder of a download directory: the manifest, partial files and a lock.

Everything eojobs writes besides the outputs themselves lives here, so that
no output name can meet a name of eojobs' own::

    DIR/.eojobs/manifest.json        which files a download verified (eojobs.manifest)
    DIR/.eojobs/<hash>.part          the bytes of a file still arriving
    DIR/.eojobs/<hash>.json          which asset (size, checksum, ETag, job) they are of

``<hash>`` is a short hash of the output's path below ``DIR``: the names stay
short however long the output's name, and one output always gets the same
partial file, which is how a later download resumes it. The folder itself
is the lock that processes downloading into ``DIR`` take to update the
manifest in turn.

Versions before this folder kept ``<name>.part`` and ``<name>.part.json``
beside each output and the manifest in ``DIR/.eojobs-manifest.json``; see
:func:`legacy_part` and :mod:`eojobs.manifest` for how those are taken over.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eojobs.naming import BOOKKEEPING

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

#: Suffixes of the files an earlier version left beside an unfinished output.
LEGACY_PART_SUFFIX = ".part"
LEGACY_META_SUFFIX = ".part.json"

_in_process = threading.Lock()


class Bookkeeping:
    """The bookkeeping folder of the download directory ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / BOOKKEEPING

    def key(self, dest: Path) -> str:
        """``dest``'s path below the root, as the manifest and the partial files know it."""
        return dest.relative_to(self.root).as_posix() if dest.is_relative_to(self.root) \
            else str(dest)

    def part(self, dest: Path) -> Path:
        """Where the bytes of ``dest`` gather until they are verified."""
        return self.folder / f"{self._hash(dest)}.part"

    def meta(self, dest: Path) -> Path:
        """Which asset the partial file of ``dest`` holds."""
        return self.folder / f"{self._hash(dest)}.json"

    def create(self) -> None:
        """Make the folder if it is not there."""
        self.folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock, against other threads and other processes alike."""
        self.create()
        if fcntl is None:  # pragma: no cover - Windows: one process at a time
            with _in_process:
                yield
            return
        # flock locks an open file description: two threads' opens exclude each other too.
        fd = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _hash(self, dest: Path) -> str:
        return hashlib.sha256(self.key(dest).encode("utf-8", "surrogateescape")).hexdigest()[:32]


def legacy_part(dest: Path) -> Path:
    """Where an earlier version kept the partial file of ``dest``."""
    return dest.with_name(dest.name + LEGACY_PART_SUFFIX)


def legacy_meta(dest: Path) -> Path:
    """Where an earlier version said which asset ``legacy_part(dest)`` holds."""
    return dest.with_name(dest.name + LEGACY_META_SUFFIX)
