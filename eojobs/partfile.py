"""The partial file of one output: locked while written, renamed only once it was verified.

A :class:`PartFile` opens ``.eojobs/<hash>.part`` (see :mod:`eojobs.bookkeeping`)
for update and holds an exclusive ``flock`` on it, so that one writer at a
time, in any process, fills it. :meth:`PartFile.publish` renames it to the
output's name only if the path still names the very file that was written
and checked. Leaving the block removes an empty partial file (nothing to
resume), so that waiting writers that found the work done leave no trace.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from eojobs.bookkeeping import Bookkeeping
from eojobs.errors import DownloadError

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class PartFile:
    """The partial file of ``dest`` in ``books``, as a context manager giving itself.

    ``adopt``, if given, is called with the partial file's path when the
    file is empty: it may move an earlier version's partial file there and
    return True, and the file is then opened and locked again.
    """

    def __init__(self, books: Bookkeeping, dest: Path,
                 adopt: Callable[[Path, Path], bool] | None = None) -> None:
        self.path = books.part(dest)
        self.meta_path = books.meta(dest)
        self._adopt = adopt
        self._handle: IO[bytes] | None = None

    @property
    def handle(self) -> IO[bytes]:
        """The open, locked file."""
        assert self._handle is not None, "use PartFile in a with block"
        return self._handle

    def size(self) -> int:
        """How many bytes the file holds."""
        return os.fstat(self.handle.fileno()).st_size

    def publish(self, dest: Path) -> None:
        """Rename the file to ``dest``, if its path still names the file that was written."""
        self.handle.flush()
        if not self._still_ours():
            raise DownloadError(f"the partial file of {dest} was replaced while it was "
                                "written; nothing was renamed, download again")
        os.replace(self.path, dest)
        self.meta_path.unlink(missing_ok=True)

    def __enter__(self) -> PartFile:
        while True:
            handle = os.fdopen(os.open(self.path, _OPEN_FLAGS, 0o644), "r+b")
            if fcntl is not None:
                # Wait for another writer of the same file, then make sure the path
                # still names the file we locked: the other may have renamed it.
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            self._handle = handle
            if not self._still_ours():
                handle.close()
                continue
            adopt, self._adopt = self._adopt, None
            if adopt is not None and self.size() == 0 and adopt(self.path, self.meta_path):
                handle.close()
                continue
            return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.size() == 0 and self._still_ours():
                self.path.unlink(missing_ok=True)
                self.meta_path.unlink(missing_ok=True)
        finally:
            self.handle.close()
            self._handle = None

    def _still_ours(self) -> bool:
        try:
            now = os.stat(self.path, follow_symlinks=False)
        except FileNotFoundError:
            return False
        mine = os.fstat(self.handle.fileno())
        return (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino)
