"""Reading a body in slices and writing it at offsets, as fast as the disk allows.

The download engine's byte-level work: take what a stream has (without
waiting for a whole buffer, so a slow download can be cancelled between
packets), and write it with ``pwrite`` in slices whose size was measured,
into disk blocks reserved beforehand where the system allows.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable
from typing import Any

#: The most one write() call is given. Linux 6.x (ext4 and others) sizes the
#: page-cache folios after the write; folios above 32 KiB come from the buddy
#: allocator rather than the per-CPU lists, and on VMs that hand free memory
#: back to the host, filling them cost 2-3 times the system time (measured on
#: 6.18). The extra calls of small slices cost next to nothing.
WRITE_SLICE = 32 << 10
#: The most one write() call is given once the file's blocks are reserved (see
#: :func:`reserve`): writing into reserved blocks in 256 KiB slices took 0.13 s
#: of system time a GiB against 0.23 s in 32 KiB slices and 0.33 s unreserved
#: (ext4, Linux 6.18), without the unreserved large writes' slow spells.
RESERVED_WRITE_SLICE = 256 << 10


def reader_of(stream: Any) -> Callable[[memoryview], memoryview]:
    """A function giving the stream's next bytes, at most a buffer's worth; empty at the end.

    It uses the first the stream has of ``readinto1``, ``read1`` (which return
    what has arrived rather than wait for a whole buffer, so a slow download
    can be cancelled between packets), ``readinto`` and ``read``. A method is
    passed over if a subclass overrides ``read`` but not it, since it may then
    bypass what the stream's ``read`` does (count, filter or break the bytes).
    """
    for name in ("readinto1", "read1", "readinto"):
        method = _method_of(stream, name)
        if method is None:
            continue
        if name.startswith("readinto"):
            return lambda buffer, into=method: buffer[:into(buffer) or 0]
        return lambda buffer, read=method: memoryview(read(len(buffer)))
    return lambda buffer: memoryview(stream.read(len(buffer)))


def _method_of(stream: Any, name: str) -> Callable[..., Any] | None:
    """``stream``'s method ``name`` if it is defined where ``read`` is or below it."""
    method = getattr(stream, name, None)
    if method is None or "read" in getattr(stream, "__dict__", {}):
        return None
    mro = type(stream).__mro__
    read_owner = next((cls for cls in mro if "read" in vars(cls)), None)
    owner = next((cls for cls in mro if name in vars(cls)), None)
    if read_owner is None or owner is None or not issubclass(owner, read_owner):
        return None
    return method  # type: ignore[no-any-return]


def write_at(fd: int, data: memoryview, offset: int, slice_size: int = WRITE_SLICE) -> None:
    """Write all of ``data`` at ``offset`` of ``fd``, at most ``slice_size`` bytes a call."""
    done = 0
    while done < len(data):
        piece = data[done:done + slice_size]
        if _pwrite is not None:
            n = _pwrite(fd, piece, offset + done)
        else:  # pragma: no cover - Windows
            os.lseek(fd, offset + done, os.SEEK_SET)
            n = os.write(fd, piece)
        if n <= 0:
            raise OSError(f"the disk took no bytes at offset {offset + done}")
        done += n


_pwrite = getattr(os, "pwrite", None)


def total_of(stream: Any, offset: int) -> int | None:
    """The size the file will have once ``stream``'s body (from ``offset``) is written."""
    length = getattr(stream, "length", None)
    return offset + length if isinstance(length, int) else None


def reserve(fd: int, offset: int, length: int) -> bool:
    """Reserve the disk blocks of ``length`` bytes from ``offset``; say if it was done.

    Linux only, with ``fallocate(FALLOC_FL_KEEP_SIZE)``: the file's size stays
    what was written (a resume starts from it), the blocks are allocated at
    once rather than write by write. Where it cannot be done (another
    system, a file system without it, a full disk), nothing is reserved and
    the writes find out as before.
    """
    if length < RESERVE_FROM or _fallocate is None:
        return False
    try:
        return bool(_fallocate(fd, _FALLOC_FL_KEEP_SIZE, offset, length) == 0)
    except (OSError, ValueError, TypeError, ctypes.ArgumentError):
        return False


def _linux_fallocate() -> Callable[[int, int, int, int], int] | None:
    """libc's ``fallocate``, on Linux; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    function.restype = ctypes.c_int
    return function  # type: ignore[no-any-return]


#: Files smaller than this are not reserved: their writes are few anyway.
RESERVE_FROM = 1 << 20
_FALLOC_FL_KEEP_SIZE = 1
_fallocate = _linux_fallocate()


#: Disk blocks are reserved this far ahead of the writes at most: a size a server
#: declares is not trusted with more of the disk than that before the bytes come.
RESERVE_WINDOW = 64 << 20


class Reservation:
    """Disk blocks reserved ahead of a file's writes, a window at a time, up to its size."""

    def __init__(self, fd: int, offset: int, total: int | None) -> None:
        self.fd = fd
        self.total = total
        self.end = offset
        #: Whether blocks could be reserved here at all (then writes take larger slices).
        self.active = total is not None and self._next()

    @property
    def slice_size(self) -> int:
        """The write size that suits the file: larger into reserved blocks."""
        return RESERVED_WRITE_SLICE if self.active else WRITE_SLICE

    def ahead_of(self, written: int) -> None:
        """Reserve the next window once the writes have come within half a window of the end."""
        if self.active and self.total is not None and self.end < self.total \
                and written >= self.end - RESERVE_WINDOW // 2:
            self._next()

    def _next(self) -> bool:
        assert self.total is not None
        length = min(RESERVE_WINDOW, self.total - self.end)
        if length < RESERVE_FROM:  # the rest is too little to be worth it
            self.end = self.total
            return False
        if not reserve(self.fd, self.end, length):
            return False
        self.end += length
        return True
