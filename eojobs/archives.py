"""Safe ZIP extraction: nothing outside the target folder, and no zip bombs.

Members with absolute paths, ``..`` parts, drive letters or symbolic links
are refused, and so are archives whose members add up to more than a cap,
expand more than a ratio, or lie about their sizes. Everything is checked
before anything is written; a member that turns out to be damaged, encrypted
or larger than its header said stops the extraction and removes what it wrote.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from eojobs.errors import InputError

MAX_BYTES = 8 << 30
MAX_MEMBERS = 20_000
MAX_RATIO = 200
CHUNK = 1 << 20


def extract_zip(archive: Path, target: Path, *, max_bytes: int = MAX_BYTES,
                max_members: int = MAX_MEMBERS, max_ratio: int = MAX_RATIO) -> list[Path]:
    """Extract ``archive`` into ``target`` after checking every member; return the files."""
    with _checked(archive, max_bytes, max_members, max_ratio) as (zf, members):
        root = target.resolve()
        plan = [(m, _destination(archive.name, root, m)) for m in members]
        written: list[Path] = []
        try:
            for member, dest in plan:
                dest.parent.mkdir(parents=True, exist_ok=True)
                written.append(dest)
                with open(dest, "wb") as out:
                    for chunk in _chunks(zf, member, archive.name):
                        out.write(chunk)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
    return written


def read_members(archive: Path, wanted: Callable[[str], bool], *, max_bytes: int,
                 max_members: int = MAX_MEMBERS, max_ratio: int = MAX_RATIO) -> dict[str, bytes]:
    """Read the members whose names ``wanted`` accepts into memory, after the same checks.

    Every member name must be safe, as for :func:`extract_zip`, though nothing
    touches the disk.
    """
    with _checked(archive, max_bytes, max_members, max_ratio) as (zf, members):
        for member in members:
            _destination(archive.name, Path("/archive"), member)
        return {m.filename: b"".join(_chunks(zf, m, archive.name))
                for m in members if wanted(m.filename)}


@contextmanager
def _checked(archive: Path, max_bytes: int, max_members: int,
             max_ratio: int) -> Iterator[tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]]:
    """The open archive and its file members, once their sizes and kinds are checked."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise InputError(f"{archive.name} is not a readable ZIP archive "
                         "(truncated or damaged)") from None
    except OSError as exc:
        raise InputError(f"cannot read {archive.name}: {exc.strerror or exc}") from None
    with zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        _check(archive.name, members, max_bytes, max_members, max_ratio)
        yield zf, members


#: What reading a damaged, encrypted or oddly compressed member raises.
_DAMAGED = (zipfile.BadZipFile, EOFError, OSError, zlib.error, RuntimeError, NotImplementedError)


def _chunks(zf: zipfile.ZipFile, member: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """The member's bytes; InputError if it is damaged or larger than its header says."""
    copied = 0
    try:
        with zf.open(member) as source:
            while chunk := source.read(CHUNK):
                copied += len(chunk)
                if copied > member.file_size:
                    raise InputError(f"{member.filename} is larger than its header says; "
                                     "refusing the archive")
                yield chunk
    except _DAMAGED as exc:
        raise InputError(f"{name}: {member.filename} cannot be read "
                         f"({exc or type(exc).__name__})") from None


def _check(name: str, members: list[zipfile.ZipInfo], max_bytes: int, max_members: int,
           max_ratio: int) -> None:
    if len(members) > max_members:
        raise InputError(f"{name} has {len(members)} members, more than {max_members}")
    total = sum(m.file_size for m in members)
    if total > max_bytes:
        raise InputError(f"{name} would expand to {total:,} bytes, more than {max_bytes:,}")
    for member in members:
        if member.compress_size and member.file_size / member.compress_size > max_ratio:
            raise InputError(f"{name}: {member.filename} expands {member.file_size:,} bytes "
                             f"from {member.compress_size:,}; refusing a likely zip bomb")
        if stat.S_ISLNK(member.external_attr >> 16):
            raise InputError(f"{name}: {member.filename} is a symbolic link; refusing it")


def _destination(name: str, root: Path, member: zipfile.ZipInfo) -> Path:
    parts = PurePosixPath(member.filename.replace("\\", "/")).parts
    unsafe = (not parts or member.filename.startswith(("/", "\\"))
              or any(p in ("..", "") or ":" in p for p in parts))
    dest = root.joinpath(*parts).resolve() if not unsafe else root
    if unsafe or root not in dest.parents:
        raise InputError(f"{name}: member {member.filename!r} would land outside "
                         f"{root.name}/; refusing the archive")
    return dest
