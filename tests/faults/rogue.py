"""A raw HTTP server on 127.0.0.1 that misbehaves as a test tells it to, and counts requests."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable

#: What a test's server does with one request: write to the socket (or not) given the path.
Behaviour = Callable[["Rogue", socket.socket, str], None]


class Rogue:
    """A threaded TCP server that reads each request's head and hands the socket to ``behave``.

    ``hits`` counts the requests that reached it. Closing it wakes every handler still
    dripping or waiting.
    """

    def __init__(self, behave: Behaviour) -> None:
        self.behave = behave
        self.hits = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        rogue = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                rogue._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(5)
        while not self.stopping.is_set():
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    piece = sock.recv(4096)
                    if not piece:
                        return
                    head += piece
            except OSError:
                return
            path = head.split(b" ", 2)[1].decode()
            with self._lock:
                self.hits += 1
            try:
                self.behave(self, sock, path)
            except OSError:
                return

    def pause(self, seconds: float) -> None:
        """Sleep, but wake when the server closes."""
        self.stopping.wait(seconds)

    def __enter__(self) -> Rogue:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


def answer(sock: socket.socket, status: int, body: bytes = b"",
           headers: dict[str, str] | None = None) -> None:
    """Send a whole answer with a Content-Length."""
    head = {"Content-Type": "application/json", "Content-Length": str(len(body)),
            **(headers or {})}
    lines = "".join(f"{k}: {v}\r\n" for k, v in head.items())
    sock.sendall(f"HTTP/1.1 {status} X\r\n{lines}\r\n".encode() + body)


def start_chunked(sock: socket.socket, status: int = 200) -> None:
    """Send the head of an answer whose body comes in chunks, of no stated length."""
    sock.sendall(f"HTTP/1.1 {status} OK\r\nTransfer-Encoding: chunked\r\n\r\n".encode())


def chunk(sock: socket.socket, data: bytes) -> None:
    """Send one chunk of a chunked body (an empty one ends it)."""
    sock.sendall(f"{len(data):x}\r\n".encode() + data + b"\r\n")


def until_stopped(rogue: Rogue, step: Callable[[], None], every: float = 0.0) -> None:
    """Do ``step`` over and over until the client hangs up or the server closes."""
    while not rogue.stopping.is_set():
        step()
        if every:
            rogue.pause(every)


def elapsed_since(start: float) -> float:
    """Seconds since ``start`` (for hang guards only)."""
    return time.monotonic() - start
