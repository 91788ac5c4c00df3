"""The STAC test servers: asset files over HTTP with faults on demand, and `rustac serve`.

``FileServer`` serves real bytes on 127.0.0.1, honours ``Range``, records
every request, and can be told, per file, to answer 202 or 503 with a
Retry-After first (an offline scene), 404, wrong bytes, or to drop the
connection halfway once. A POST to ``/order/NAME`` makes an offline file
online, as a provider's order does.

``catalogue`` writes a STAC collection file and an item file whose asset
hrefs point at the file server; ``RustacServer`` serves them with the STAC API
server of the ``rustac`` package, a real implementation no one here wrote.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests


@dataclass
class Seen:
    """One request the file server received."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Fault:
    """How one file misbehaves: offline for ``offline`` more GETs (``status`` then), etc."""

    offline: int = 0
    status: int = 503
    retry_after: str | None = "1"
    missing: bool = False
    corrupt: bool = False
    cut_once: bool = False


@dataclass
class FileServer:
    """Files by path on 127.0.0.1, with per-file faults and a record of requests."""

    root: Path
    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None

    def add(self, name: str, data: bytes) -> str:
        """Serve ``data`` at ``/files/NAME``; returns its URL."""
        self.files[name] = data
        return f"{self.url}/files/{name}"

    def reset(self) -> None:
        """No faults, nothing seen: between tests."""
        with self.lock:
            self.faults.clear()
            self.seen.clear()

    def fault(self, name: str, **kwargs: Any) -> Fault:
        """Make file ``name`` misbehave as ``kwargs`` say (see :class:`Fault`)."""
        with self.lock:
            self.faults[name] = Fault(**kwargs)
            return self.faults[name]

    def requests_for(self, name: str, method: str = "GET") -> list[Seen]:
        """The requests of ``method`` for file ``name`` so far."""
        return [s for s in self.seen if s.path == f"/files/{name}" and s.method == method]

    def start(self) -> FileServer:
        """Serve on a free port, in a thread."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _record(self) -> None:
                with owner.lock:
                    owner.seen.append(Seen(self.command, self.path, dict(self.headers.items())))

            def do_POST(self) -> None:
                self._record()
                name = self.path.removeprefix("/order/")
                with owner.lock:
                    fault = owner.faults.get(name)
                    if fault is not None:
                        fault.offline = 0
                self._reply(202 if name in owner.files else 404, b"")

            def do_GET(self) -> None:
                self._record()
                if self.path.startswith("/redirect/"):
                    return self._reply(302, b"", {"Location": self.path.removeprefix(
                        "/redirect/")})
                name = self.path.removeprefix("/files/")
                data = owner.files.get(name)
                with owner.lock:
                    fault = owner.faults.get(name, Fault())
                    offline = fault.offline > 0
                    if offline:
                        fault.offline -= 1
                    cut = fault.cut_once
                    fault.cut_once = False
                if data is None or fault.missing:
                    return self._reply(404, b"not found")
                if offline:
                    extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return self._reply(fault.status, b"staging", extra)
                if fault.corrupt:
                    data = bytes(b ^ 0xFF for b in data)
                start, status, extra = 0, 200, {"Accept-Ranges": "bytes"}
                match = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
                if match:
                    start = int(match.group(1))
                    end = int(match.group(2)) if match.group(2) else len(data) - 1
                    status = 206
                    extra["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
                    data = data[start:end + 1]
                if cut:
                    self.send_response(status)
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return None
                return self._reply(status, data, extra)

            def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None
                       ) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def multihash(data: bytes) -> str:
    """The ``file:checksum`` of ``data``: a sha2-256 multihash in hex."""
    return "1220" + hashlib.sha256(data).hexdigest()


def collection(cid: str, bbox: list[float], start: str, end: str | None,
               item_assets: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A STAC collection document."""
    document = {
        "type": "Collection", "stac_version": "1.0.0", "id": cid, "title": f"Test {cid}",
        "description": f"The {cid} collection of the tests.", "license": "CC-BY-4.0",
        "extent": {"spatial": {"bbox": [bbox]}, "temporal": {"interval": [[start, end]]}},
        "links": [], "keywords": ["test"], **extra,
    }
    if item_assets:
        document["item_assets"] = item_assets
    return document


def item(iid: str, cid: str, bbox: list[float], when: str, assets: dict[str, Any],
         links: list[dict[str, Any]] | None = None, **properties: Any) -> dict[str, Any]:
    """A STAC item document over ``bbox``."""
    west, south, east, north = bbox
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Feature", "stac_version": "1.0.0", "id": iid, "collection": cid,
            "geometry": {"type": "Polygon", "coordinates": [ring]}, "bbox": bbox,
            "properties": {"datetime": when, **properties}, "links": links or [],
            "assets": assets}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RustacServer:
    """``rustac serve`` on a free 127.0.0.1 port, serving the given collection and item files."""

    def __init__(self, folder: Path, collections: list[dict[str, Any]],
                 items: list[dict[str, Any]]) -> None:
        executable = shutil.which("rustac")
        if executable is None:
            raise RuntimeError("rustac is not installed: pip install -e '.[test]'")
        paths = []
        for found in collections:
            path = folder / f"{found['id']}.json"
            path.write_text(json.dumps(found))
            paths.append(str(path))
        (folder / "items.json").write_text(json.dumps({"type": "FeatureCollection",
                                                        "features": items}))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(folder / "rustac.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [executable, "serve", "--addr", f"127.0.0.1:{port}", *paths,
             str(folder / "items.json")], stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_up()

    def _wait_until_up(self, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rustac serve exited with {self.process.returncode}")
            try:
                if requests.get(self.url + "/", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"rustac serve did not answer on {self.url} within {seconds} s")

    def stop(self) -> None:
        """Stop the server process and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
