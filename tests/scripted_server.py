"""A tiny HTTP server on 127.0.0.1 that answers from a script and records every request."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    """What to answer: a status, headers, and a body (a dict is sent as JSON)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | dict = b""


@dataclass
class ScriptedServer:
    """A running server: its ``url`` and the requests it has ``seen``."""

    url: str
    seen: list[Seen]


@contextmanager
def scripted_server(answer: Callable[[Seen], Answer] | None = None
                    ) -> Iterator[ScriptedServer]:
    """Serve on a free 127.0.0.1 port; ``answer`` decides each reply (default: 200, empty)."""
    seen: list[Seen] = []
    reply = answer or (lambda _: Answer())

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Seen(self.command, self.path, dict(self.headers.items()),
                           self.rfile.read(length) if length else b"")
            seen.append(request)
            out = reply(request)
            body = json.dumps(out.body).encode() if isinstance(out.body, dict) else out.body
            self.send_response(out.status)
            headers = {"Content-Type": "application/json", **out.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield ScriptedServer(f"http://127.0.0.1:{server.server_address[1]}", seen)
    finally:
        server.shutdown()
        server.server_close()
