"""WSGI middleware that carries out a fault plan, and counts the bytes of every download.

It sits in front of the server's application: a request either goes
through untouched, or gets the fault its plan draws for it (an error
answer, a dropped connection, a delay, a body cut short, an expired token,
an answer lost after the request was carried out).
Every fault is logged and kept in :attr:`FaultInjector.events`; every file
download is kept in :attr:`FaultInjector.transfers` with the bytes it sent
(the latest :data:`MEMORY` of each), so a test can see what a client asked
for and got.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from eojobs_mock.server.faults import SCOPES, Fault, FaultPlan, applicable

log = logging.getLogger("eojobs_mock.server")

BLOB_PATHS = ("/blobs/", "/uploads/")
#: How many of the latest faults and downloads an injector remembers.
MEMORY = 100_000
THROTTLE_STEPS_PER_S = 20
EXPIRED_MESSAGE = "The access token has expired: log in again."

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class FaultEvent:
    """One injected fault: the request's scope and number there, what it was, and the kind."""

    scope: str
    number: int
    method: str
    path: str
    kind: str


@dataclass
class Transfer:
    """One file download: what was asked for (``range``), the answer, and body bytes sent."""

    path: str
    range: str | None
    status: int = 0
    sent: int = 0


class InjectedDrop(ConnectionAbortedError):
    """Raised to the WSGI server to drop a connection on purpose; it closes it quietly."""


class FaultInjector:
    """Wraps a WSGI application and injects the faults of ``plan`` into its requests.

    ``plan`` may be replaced while the server runs. Request numbers and
    token use counts are shared by all threads under one lock, so a client
    that sends one request at a time meets the same faults on every run
    with the same seed.
    """

    def __init__(self, app: WsgiApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan
        self.events: deque[FaultEvent] = deque(maxlen=MEMORY)
        self.transfers: deque[Transfer] = deque(maxlen=MEMORY)
        self._lock = threading.Lock()
        self._numbers = dict.fromkeys(SCOPES, 0)
        self._token_uses: dict[str, int] = {}
        self._expired: set[str] = set()

    def kinds(self, scope: str | None = None) -> dict[str, int]:
        """How many faults of each kind were injected (in one scope, or in all)."""
        counts: dict[str, int] = {}
        for event in list(self.events):
            if scope is None or event.scope == scope:
                counts[event.kind] = counts.get(event.kind, 0) + 1
        return counts

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """The WSGI entry point."""
        plan = self.plan
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", ""))
        scope = "blob" if path.startswith(BLOB_PATHS) else "api"
        token = _bearer(environ)
        with self._lock:
            number = self._numbers[scope]
            self._numbers[scope] += 1
            uses = None
            if token is not None:
                uses = self._token_uses.get(token, 0)
                self._token_uses[token] = uses + 1
            expired = token in self._expired
        if expired:
            return _answer(start_response, 401, EXPIRED_MESSAGE)
        fault = plan.choose(scope, number, applicable(plan, scope, method, uses))
        if fault is not None:
            self.events.append(FaultEvent(scope, number, method, path, fault.kind))
            log.info("fault %s on %s %s", fault.kind, method, path)
            if fault.kind == "slow":
                time.sleep(plan.delay_s)
            else:
                return self._inject(fault, plan, environ, start_response, token)
        if scope == "blob" and method == "GET":
            return self._pass_on(environ, start_response, plan, None)
        return self.app(environ, start_response)

    def _inject(self, fault: Fault, plan: FaultPlan, environ: dict[str, Any],
                start_response: Callable[..., Any], token: str | None) -> Any:
        if fault.kind == "5xx":
            return _answer(start_response, fault.status,
                           "The service is unavailable for a moment (injected fault).")
        if fault.kind == "429":
            return _answer(start_response, 429,
                           "Too many requests (injected fault): try again later.",
                           [("Retry-After", str(plan.retry_after_s))])
        if fault.kind == "expire":
            assert token is not None
            with self._lock:
                self._expired.add(token)
            return _answer(start_response, 401, EXPIRED_MESSAGE)
        if fault.kind == "reset":
            _hang_up(environ)
            raise InjectedDrop("injected fault: connection reset")
        if fault.kind == "lost":
            _carry_out(self.app, environ)
            _hang_up(environ)
            raise InjectedDrop("injected fault: answer lost after the request was carried out")
        return self._pass_on(environ, start_response, plan, fault.cut)

    def _pass_on(self, environ: dict[str, Any], start_response: Callable[..., Any],
                  plan: FaultPlan, cut: float | None) -> Iterator[bytes]:
        """Pass the request on; count (blob GETs), throttle and maybe cut short the body."""
        path = str(environ.get("PATH_INFO", ""))
        blob = path.startswith(BLOB_PATHS)
        transfer = Transfer(path, environ.get("HTTP_RANGE"))
        length: list[int | None] = [None]

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            transfer.status = int(status.split(None, 1)[0])
            for name, value in headers:
                if name.lower() == "content-length" and value.isdigit():
                    length[0] = int(value)
            return start_response(status, headers, *rest)

        body = self.app(environ, capture)
        if blob:
            with self._lock:
                self.transfers.append(transfer)
        limit = None if cut is None else int(cut * (length[0] or 0))
        rate = plan.throttle if blob else None
        return _send(body, transfer, limit, rate)


def _send(body: Iterable[bytes], transfer: Transfer, limit: int | None,
          rate: int | None) -> Iterator[bytes]:
    """The body, at most ``rate`` bytes a second, dropping the connection after ``limit``."""
    step = max(1, rate // THROTTLE_STEPS_PER_S) if rate else None
    started = time.monotonic()
    try:
        if limit is not None and limit <= 0:
            yield b""
            raise InjectedDrop("injected fault: body cut short")
        for chunk in body:
            for start in range(0, len(chunk), step or max(1, len(chunk))):
                piece = chunk[start:start + step] if step else chunk
                if limit is not None and transfer.sent + len(piece) >= limit:
                    piece = piece[:limit - transfer.sent]
                    transfer.sent += len(piece)
                    yield piece
                    raise InjectedDrop("injected fault: body cut short")
                if rate:
                    wait = started + transfer.sent / rate - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                transfer.sent += len(piece)
                yield piece
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _answer(start_response: Callable[..., Any], status: int, message: str,
            headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = json.dumps({"error_message": message}).encode()
    start_response(f"{status} {HTTPStatus(status).phrase}", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
        *(headers or [])])
    return [body]


def _carry_out(app: WsgiApp, environ: dict[str, Any]) -> None:
    """Handle a request to the end, throwing its answer away."""

    def discard(status: str, headers: list[tuple[str, str]],
                *rest: Any) -> Callable[[bytes], None]:
        return lambda data: None

    body = app(environ, discard)
    try:
        for _ in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _hang_up(environ: dict[str, Any]) -> None:
    """End the connection with no answer; its close then sends a reset (RST).

    Without the shutdown the server would wait on the connection for a next
    request that never comes, and the client for an answer. What is left of
    the request body is read away, so that it is not taken for a next request.
    """
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        try:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    body = environ.get("wsgi.input")
    try:
        while body is not None and body.read(1 << 16):
            pass
    except (OSError, ValueError):
        pass


def _bearer(environ: dict[str, Any]) -> str | None:
    scheme, _, token = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
