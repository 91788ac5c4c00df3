"""Reading an HTTP answer into memory within a size limit and a deadline.

requests' timeout bounds each wait for the next bytes, not the whole answer,
and reads whatever size the server sends; a server that drips a byte a
second or sends gigabytes of JSON would hold a caller for ever or fill its
memory. Here the body is read as it arrives and given up once it passes
either bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
import urllib3

from eojobs.errors import BackendError

#: The most asked for at once while reading an answer.
PIECE = 64 << 10


def size_text(n: int) -> str:
    """``n`` bytes for people: ``220 bytes``, ``64 MiB``."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):g} {unit}"
    return f"{n} bytes"


def declared_length(response: requests.Response) -> int | None:
    """The answer's Content-Length, if it gives a usable one."""
    try:
        length = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return length if length >= 0 else None


def read_answer(response: requests.Response, *, what: str, limit: int, seconds: float,
                started: float, clock: Callable[[], float] = time.monotonic) -> bytes:
    """The whole body of a streamed ``response``, stored on it so that ``.json()`` works.

    Raises a BackendError, and drops the connection, once the body passes
    ``limit`` bytes (not transient: it will not shrink) or ``seconds`` since
    ``started`` (transient: a server can be slow for a while). A body that
    breaks off raises requests' ChunkedEncodingError, a stall of the read
    timeout requests' ReadTimeout, as a body requests read itself would.
    """
    length = declared_length(response)
    if length is not None and length > limit:
        response.close()
        raise BackendError(f"the answer of {what} is {size_text(length)}, more than the "
                           f"{size_text(limit)} allowed")
    pieces: list[bytes] = []
    got = 0
    raw = response.raw
    read = getattr(raw, "read1", raw.read)  # read1: what has arrived, in urllib3 2.1 and later
    while True:
        try:
            piece = read(PIECE, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            response.close()
            raise requests.exceptions.ReadTimeout(exc, request=response.request) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.IncompleteRead) as exc:
            response.close()
            raise requests.exceptions.ChunkedEncodingError(exc, request=response.request) \
                from None
        except urllib3.exceptions.DecodeError as exc:
            response.close()
            raise requests.exceptions.ContentDecodingError(exc, request=response.request) \
                from None
        if not piece:
            break
        got += len(piece)
        if got > limit:
            response.close()
            raise BackendError(f"the answer of {what} is larger than the {size_text(limit)} "
                               "allowed")
        pieces.append(piece)
        if clock() - started > seconds:
            response.close()
            raise BackendError(f"the answer of {what} took longer than {seconds:g} s "
                               f"({size_text(got)} had arrived)", transient=True)
    body = b"".join(pieces)
    response._content = body  # what requests itself fills in when it reads the body
    response._content_consumed = True
    raw.release_conn()
    return body
