"""File bytes over HTTP: receiving uploads, and serving downloads fast with Range support.

A download URL points at a *blob*: a hard link to the file, named after the
file id and the URL's expiry, so the bytes stay downloadable until the URL
expires even if the data item or process is deleted meanwhile.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from werkzeug.http import http_date
from werkzeug.wrappers import Request, Response

from eojobs_mock.server.errors import ApiError, bad_request, not_found

CHUNK = 8 * 1024 * 1024
SWEEP_GRACE_S = 300.0


class BlobLinks:
    """Hard links under ``<home>/mock/blobs`` that keep downloadable bytes alive."""

    def __init__(self, folder: Path, clock: Callable[[], float]) -> None:
        self.folder = folder
        self.clock = clock

    def path(self, file_id: str, expires: int) -> Path:
        """Where the blob of one file for one expiry lives."""
        return self.folder / f"{file_id}.{expires}"

    def publish(self, source: Path, file_id: str, expires: int) -> None:
        """Make ``source`` downloadable as the blob ``file_id`` until ``expires``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(file_id, expires)
        if not target.exists():
            temporary = self.folder / f".{file_id}.{secrets.token_hex(4)}.tmp"
            try:
                os.link(source, temporary)
            except OSError:
                shutil.copyfile(source, temporary)
            os.replace(temporary, target)
        self.sweep()

    def sweep(self) -> None:
        """Remove blobs whose URLs expired a while ago (open downloads keep their bytes)."""
        horizon = self.clock() - SWEEP_GRACE_S
        for entry in os.scandir(self.folder):
            expires = entry.name.rpartition(".")[2]
            if not entry.name.startswith(".") and expires.isdigit() and int(expires) < horizon:
                Path(entry.path).unlink(missing_ok=True)


def receive(stream: IO[bytes], length: int | None, target: Path) -> tuple[int, str]:
    """Write an upload body to ``target`` atomically; its size and SHA-256."""
    if length is None:
        raise ApiError(411, "An upload needs a Content-Length header.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    digest = hashlib.sha256()
    size = 0
    try:
        with open(partial, "wb") as out:
            while size < length:
                chunk = stream.read(min(CHUNK, length - size))
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        if size != length:
            raise bad_request(f"The upload ended after {size} of {length} bytes.")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return size, digest.hexdigest()


def file_response(request: Request, path: Path, file_name: str) -> Response:
    """The file (or the byte range asked for) with ETag, Last-Modified and Accept-Ranges."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise not_found("The file is no longer available: ask the API for a new URL.") from None
    size = info.st_size
    etag = f"{info.st_ino:x}-{size:x}-{info.st_mtime_ns:x}"
    media_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    headers = {
        "Accept-Ranges": "bytes", "ETag": f'"{etag}"', "Content-Type": media_type,
        "Last-Modified": http_date(info.st_mtime),
        "Content-Disposition": f'attachment; filename="{_safe(file_name)}"',
    }
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    start, length, status = 0, size, 200
    wanted = request.range
    if wanted is not None and len(wanted.ranges) == 1 and _if_range_holds(request, etag, info):
        bounds = wanted.range_for_length(size)
        if bounds is None:
            body = f'{{"error_message": "The range is outside the file of {size} bytes."}}'
            return Response(body, status=416, mimetype="application/json",
                            headers={"Content-Range": f"bytes */{size}", **headers})
        start, length, status = bounds[0], bounds[1] - bounds[0], 206
        headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
    headers["Content-Length"] = str(length)
    return Response(_stream(path, start, length), status=status, headers=headers,
                    direct_passthrough=True)


def _safe(file_name: str) -> str:
    return "".join(c if c.isprintable() and c not in '"\\' else "_" for c in file_name)


def _if_range_holds(request: Request, etag: str, info: os.stat_result) -> bool:
    condition = request.if_range
    if condition.etag is not None:
        return condition.etag == etag
    if condition.date is not None:
        return int(info.st_mtime) <= condition.date.timestamp()
    return True


def _stream(path: Path, start: int, length: int) -> Iterator[bytes]:
    """The bytes in large chunks: werkzeug's default 8 KiB file chunks cap throughput."""
    with open(path, "rb") as source:
        source.seek(start)
        remaining = length
        while remaining > 0:
            chunk = source.read(min(CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk
