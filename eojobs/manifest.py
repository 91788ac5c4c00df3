"""``.eojobs/manifest.json``: which files a download completed, and for which job.

Each entry, keyed by the file's path below the folder, holds the size,
modification time and (where the asset had a checksum) sha256 of a file the
download engine verified and renamed to its final name, and the id of the job it belongs to. Entries
written before job ids were recorded have none: their job is unknown.

Changes are made under the bookkeeping folder's lock, so that downloads in
several processes into one folder keep each other's entries. A manifest an
earlier version left at ``.eojobs-manifest.json`` is read as long as there
is no new one, and folded into it (and removed) on the first change.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eojobs.atomic import replace_text
from eojobs.bookkeeping import Bookkeeping
from eojobs.errors import InputError
from eojobs.naming import BOOKKEEPING, LEGACY_MANIFEST

#: The manifest's path below the download folder.
MANIFEST = f"{BOOKKEEPING}/manifest.json"


@dataclass(frozen=True)
class Clash:
    """A file a download would replace although an earlier one wrote it for another job.

    ``partial`` says that only part of it has arrived (a download was interrupted).
    """

    path: Path
    owner: str
    partial: bool = False


class FolderClash(InputError):
    """Files in the folder belong to another job's download; nothing was written.

    ``clashes`` lists each file (or partial file) and the job it belongs to,
    ``job_id`` is the job being downloaded, and ``elsewhere`` a folder it
    could go to instead.
    """

    def __init__(self, clashes: Sequence[Clash], job_id: str, elsewhere: Path) -> None:
        self.clashes = list(clashes)
        self.job_id = job_id
        self.elsewhere = elsewhere
        #: What clashes, without the advice: the CLI adds its own.
        self.facts = _clash_facts(self.clashes, job_id)
        advice = (f"download job {job_id} into another folder (such as {elsewhere}), or "
                  f"pass overwrite=True to replace {'it' if len(self.clashes) == 1 else 'them'}")
        super().__init__(f"{self.facts}; {advice}")


class Manifest:
    """The manifest of one download folder."""

    def __init__(self, folder: Path) -> None:
        self.books = Bookkeeping(folder)
        self.path = folder / MANIFEST
        self.legacy_path = folder / LEGACY_MANIFEST
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path.exists():
            return read_json(self.path)
        return read_json(self.legacy_path)

    def entry(self, dest: Path) -> dict[str, Any] | None:
        """What an earlier download recorded about ``dest``, if it wrote it."""
        entry = self._load().get(self._key(dest))
        return entry if isinstance(entry, dict) else None

    @staticmethod
    def unchanged(dest: Path, entry: dict[str, Any]) -> bool:
        """Whether ``dest`` still has the size and modification time its entry recorded."""
        try:
            info = dest.stat()
        except OSError:
            return False
        return entry.get("size") == info.st_size and entry.get("mtime_ns") == info.st_mtime_ns

    def record(self, dest: Path, sha256: str | None, job_id: str | None = None) -> None:
        """Note a completed, verified file (with its sha256 if computed) and its job if known."""
        info = dest.stat()
        entry: dict[str, Any] = {"size": info.st_size, "mtime_ns": info.st_mtime_ns}
        if sha256 is not None:
            entry["sha256"] = sha256
        if job_id is not None:
            entry["job"] = job_id
        with self._lock, self.books.locked():
            data = self._load()
            data[self._key(dest)] = entry
            write_json(self.path, data)
            self.legacy_path.unlink(missing_ok=True)

    def clashes(self, paths: Iterable[Path], job_id: str) -> list[Clash]:
        """The existing files among ``paths`` that the manifest gives to another job.

        A file whose entry names no job (an older manifest) is not a clash.
        """
        data = self._load()
        found = []
        for path in paths:
            entry = data.get(self._key(path))
            owner = entry.get("job") if isinstance(entry, dict) else None
            if isinstance(owner, str) and owner != job_id and path.exists():
                found.append(Clash(path, owner))
        return found

    def owners(self) -> dict[Path, str]:
        """Every file still in the folder that an earlier download wrote, and its job."""
        found = {}
        for key, entry in self._load().items():
            owner = entry.get("job") if isinstance(entry, dict) else None
            path = self.books.root / key
            if isinstance(owner, str) and path.is_file():
                found[path] = owner
        return found

    def _key(self, dest: Path) -> str:
        return self.books.key(dest)


def _clash_facts(clashes: Sequence[Clash], job_id: str) -> str:
    of = " or ".join(f"job {o}" for o in sorted({c.owner for c in clashes}))
    if len(clashes) == 1:
        what = f"{_shown(clashes[0])} is a file of {of}"
    else:
        shown = [_shown(c) for c in clashes[:3]]
        if len(clashes) > 3:
            shown.append(f"{len(clashes) - 3} more")
        what = f"{', '.join(shown[:-1])} and {shown[-1]} are files of {of}"
    return f"{what}, not of job {job_id}"


def _shown(clash: Clash) -> str:
    return f"{clash.path} (partly downloaded)" if clash.partial else str(clash.path)


def read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``{}`` when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` as JSON, atomically."""
    replace_text(path, json.dumps(data))
