"""Stand-ins the suite puts between the download engine and a backend, to cut and watch it."""

from __future__ import annotations

from typing import Any

from eojobs.errors import BackendError


class CutStream:
    """A stream that gives ``limit`` bytes of another, then fails as a dropped connection."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream = stream
        self.left = limit

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes, until the cut; then BackendError (not transient)."""
        if self.left <= 0:
            raise BackendError("the conformance suite cut the connection", transient=False)
        wanted = self.left if size is None or size < 0 else min(size, self.left)
        data = self.stream.read(wanted)
        self.left -= len(data)
        return data

    def close(self) -> None:
        """Close the stream underneath."""
        self.stream.close()

    def __enter__(self) -> CutStream:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Watched:
    """A backend as the download engine sees it, recording every offset asked of ``open_asset``.

    With ``cut``, each stream stops (as a dropped connection) at that byte of the file.
    """

    def __init__(self, backend: Any, cut: int | None = None) -> None:
        self.wrapped = backend
        self.cut = cut
        #: The offset of every ``open_asset`` call, in order.
        self.offsets: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    def open_asset(self, asset: Any, offset: int = 0) -> Any:
        """The backend's stream, noted, and cut if asked."""
        self.offsets.append(offset)
        stream = self.wrapped.open_asset(asset, offset)
        return stream if self.cut is None else CutStream(stream, self.cut - offset)
