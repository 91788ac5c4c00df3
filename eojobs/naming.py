"""Names of output files: which are safe on disk, how to show them, how to keep them apart.

A backend's file names are untrusted input. :func:`safe_name` refuses those
that could leave the download folder, clash with eojobs' own bookkeeping,
break a terminal or exceed what a file system takes; :func:`printable`
shows any name on a screen without letting it act on the terminal; and
:func:`distinct_paths` gives outputs that share a path distinct names,
the same ones on every run.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Sequence
from pathlib import PurePath
from typing import TypeVar

from eojobs.errors import InputError

#: The folder in a download directory that holds eojobs' manifest and partial files.
BOOKKEEPING = ".eojobs"
#: Where versions before the bookkeeping folder kept the manifest.
LEGACY_MANIFEST = ".eojobs-manifest.json"
#: The most bytes most file systems take in one name.
MAX_NAME_BYTES = 255

_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_OURS = {BOOKKEEPING, LEGACY_MANIFEST}
#: Characters that change the direction of the text around them (Unicode bidi controls).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Categories refused in names on disk: controls, surrogates, line and paragraph separators.
_UNSAFE_ON_DISK = frozenset({"Cc", "Cs", "Zl", "Zp"})
#: Categories escaped on screen: those, and every invisible format character.
_ESCAPED_ON_SCREEN = _UNSAFE_ON_DISK | {"Cf", "Co", "Cn"}

Key = TypeVar("Key", bound=Hashable)


class UnsafeName(InputError):
    """A backend gave a file name that is not safe to write; ``name`` is the name as given."""

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        self.why = why
        super().__init__(f"refusing unsafe file name from the backend: '{printable(name)}' "
                         f"({why})")


def safe_name(name: str) -> str:
    """Return ``name`` if it is a plain file name that is safe to write, else raise UnsafeName.

    Refused: names that are empty, ``.`` or ``..``, hold a path separator, a
    drive colon or a NUL, are reserved on Windows, are eojobs' bookkeeping
    (``.eojobs``), hold control characters, line separators or bidi
    controls, or are longer than :data:`MAX_NAME_BYTES` bytes in UTF-8.
    """
    why = _unsafe_because(name)
    if why:
        raise UnsafeName(name, why)
    return name


def _unsafe_because(name: str) -> str:
    if not name or name in (".", ".."):
        return "not a file name"
    if "/" in name or "\\" in name or ":" in name:
        return "it holds a path separator or a drive"
    if "\x00" in name:
        return "it holds a NUL"
    if _RESERVED.match(name):
        return "a device name on Windows"
    if name.lower() in _OURS:
        return "eojobs keeps its own bookkeeping under that name"
    if any(c in _BIDI or unicodedata.category(c) in _UNSAFE_ON_DISK for c in name):
        return "it holds control characters"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"longer than {MAX_NAME_BYTES} bytes"
    return ""


def printable(text: object) -> str:
    """``text`` (a name, a path, a message) with every control or invisible character escaped.

    ESC shows as ``\\x1b``, a newline as ``\\n``, a bidi override as
    ``\\u202e``: what a screen shows is what the name holds, and the name
    cannot move the cursor, retitle the terminal or reorder the line.
    """
    value = str(text)
    if value.isascii() and value.isprintable():
        return value
    return "".join(_escaped(c) for c in value)


def _escaped(char: str) -> str:
    if char in _BIDI or unicodedata.category(char) in _ESCAPED_ON_SCREEN:
        escaped = repr(char)[1:-1]
        if escaped == char:  # repr leaves some format characters as they are
            code = ord(char)
            escaped = f"\\x{code:02x}" if code < 0x100 else \
                f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
        return escaped
    return char


def distinct_paths(paths: Sequence[PurePath], order: Sequence[Key]) -> list[PurePath]:
    """``paths`` with every path that is taken twice made distinct, the same way every time.

    Among the entries sharing a path, the one of the smallest ``order`` key
    keeps it and the others get `` (2)``, `` (3)``... before the extension
    (``scene (2).tif``), skipping any name another entry already has. The
    ``order`` keys (one per path, such as the execution and file ids) make
    the choice independent of the order the backend listed them in, so a
    later download finds each file under the name it was given before.
    """
    taken = {p.as_posix() for p in paths}
    groups: dict[str, list[int]] = {}
    for index, path in enumerate(paths):
        groups.setdefault(path.as_posix(), []).append(index)
    result = list(paths)
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda i: (order[i], i))
        for number, index in enumerate(members[1:], start=2):
            path = paths[index]
            candidate = path.with_name(numbered(path.name, number))
            while candidate.as_posix() in taken:
                number += 1
                candidate = path.with_name(numbered(path.name, number))
            taken.add(candidate.as_posix())
            result[index] = candidate
    return result


def numbered(name: str, number: int) -> str:
    """``scene.tif`` as ``scene (2).tif``, cut to fit :data:`MAX_NAME_BYTES` if need be."""
    dot = name.find(".", 1)
    stem, extension = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    mark = f" ({number})"
    room = MAX_NAME_BYTES - len((mark + extension).encode("utf-8"))
    if room < 1:  # an extension too long to keep
        stem, extension = name, ""
        room = MAX_NAME_BYTES - len(mark.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
    return stem + mark + extension
