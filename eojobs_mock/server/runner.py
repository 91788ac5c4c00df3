"""Running the server: on a background thread (tests, scripts) or in the foreground (the CLI)."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from eojobs_mock.server.app import FusionApp
from eojobs_mock.server.faults import FaultPlan, parse_faults
from eojobs_mock.server.inject import FaultInjector
from eojobs_mock.server.state import EngineSettings, ServerOptions, ServerState

log = logging.getLogger("eojobs_mock.server")
POLL_INTERVAL_S = 0.02


class _RequestHandler(WSGIRequestHandler):
    """Logs ``METHOD path status`` without the query string, which may hold a signature."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A request that could not be parsed (a TLS hello sent to plain HTTP) has no path.
        path = getattr(self, "path", "").split("?", 1)[0]
        log.info("%s %s %s", getattr(self, "command", None) or "-", path, code)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(format, *args)


class MockServer:
    """A running ``eojobs mock serve``: its base URL, demo account, and a way to stop it."""

    def __init__(self, server: BaseWSGIServer, state: ServerState,
                 faults: FaultInjector | None = None) -> None:
        self.server = server
        self.state = state
        #: The fault injector (its ``plan``, ``events`` and ``transfers``), if faults are on.
        self.faults = faults
        self.host, self.port = server.socket.getsockname()[:2]
        scheme = "https" if getattr(server, "ssl_context", None) is not None else "http"
        self.url = f"{scheme}://{_url_host(str(self.host))}:{self.port}"
        self.email = state.options.email
        self.password = state.options.password
        self._thread: threading.Thread | None = None

    def start(self) -> MockServer:
        """Serve on a daemon thread; returns at once."""
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": POLL_INTERVAL_S},
                                        name=f"mock-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until :meth:`shutdown` (or an exception such as Ctrl-C)."""
        try:
            self.server.serve_forever(poll_interval=POLL_INTERVAL_S)
        finally:
            self.server.server_close()

    def shutdown(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join()
            self._thread = None
            self.server.server_close()
        self.state.platform.close()

    def __enter__(self) -> MockServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def create_server(home: Path, *, host: str = "127.0.0.1", port: int = 0,
                  options: ServerOptions | None = None,
                  settings: EngineSettings | None = None,
                  faults: FaultPlan | str | None = None,
                  ssl_context: ssl.SSLContext | None = None) -> MockServer:
    """A server bound to ``host:port`` (0 picks a free port), not yet serving.

    ``ssl_context`` (see :func:`tls_context`) serves HTTPS instead of HTTP.

    ``faults`` (a plan, or a SPEC such as ``"api=0.1,blob=0.1,seed=42"``; see
    :mod:`eojobs_mock.server.faults`) makes it fail some requests on purpose.
    """
    plan = parse_faults(faults) if isinstance(faults, str) else faults
    # Bound here, not by werkzeug: it prints and exits the process when binding fails,
    # where a caller wants an OSError it can report.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.create_server((host, port), family=family) as listening:
        state = ServerState(home, options, settings)
        app: Any = FusionApp(state)
        injector = None
        if plan is not None:
            app = injector = FaultInjector(app, plan)
        server = make_server(host, listening.getsockname()[1], app, threaded=True,
                             request_handler=_RequestHandler, fd=listening.fileno(),
                             ssl_context=ssl_context)
    return MockServer(server, state, injector)


def start_server(home: Path | None = None, **kwargs: Any) -> MockServer:
    """Start a server on a background thread; ``home`` defaults to ``EOJOBS_HOME``.

    Keyword arguments are those of :func:`create_server`. Stop it with
    ``server.shutdown()``, or use it as a context manager.
    """
    if home is None:
        from eojobs.config import home as eojobs_home

        home = eojobs_home()
    return create_server(home, **kwargs).start()


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server-side TLS context from a PEM certificate (chain) and its private key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
