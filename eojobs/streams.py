"""The byte stream a backend gives for an asset, and its two optional parts."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class ByteStream(Protocol):
    """What :meth:`Backend.open_asset` returns: a readable, closable byte stream.

    Two parts are optional, each with its own protocol: :class:`TaggedStream`
    (an ``etag``) and :class:`ReadIntoStream` (``readinto``).
    """

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        ...

    def close(self) -> None:
        """Release the stream."""
        ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: Any) -> Any: ...


@runtime_checkable
class TaggedStream(ByteStream, Protocol):
    """A stream that names the version of the file it reads, as HTTP's ETag does.

    The download engine keeps it and refuses to resume a file whose tag has
    changed since the first bytes were written: it starts that file again.
    """

    #: The version's tag, or None when the server gave none.
    etag: str | None


@runtime_checkable
class ReadIntoStream(ByteStream, Protocol):
    """A stream that reads straight into the engine's buffer, saving a copy per block.

    The download engine takes, of the methods a stream has, the first of
    ``readinto1``, ``read1`` (which return what has arrived, so a transfer
    can be cancelled between packets), ``readinto`` and ``read``.
    """

    def readinto(self, buffer: memoryview | bytearray, /) -> int:
        """Fill ``buffer`` from the stream; the number of bytes read, 0 at the end."""
        ...


def stream_etag(stream: ByteStream) -> str | None:
    """The ``etag`` of a :class:`TaggedStream`; None for any other stream."""
    if isinstance(stream, TaggedStream):
        tag = stream.etag
        return tag if isinstance(tag, str) and tag else None
    return None
