"""Counts the HTTP requests an in-process `eojobs mock serve` answers, from its request log."""

from __future__ import annotations

import logging


class RequestCounter(logging.Handler):
    """A log handler that counts the server's request lines; attach it with :meth:`install`."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        """One logged request."""
        self.count += 1

    def install(self) -> RequestCounter:
        """Listen to the mock server's request log (and keep it off the terminal)."""
        server_log = logging.getLogger("eojobs_mock.server")
        server_log.setLevel(logging.INFO)
        server_log.addHandler(self)
        server_log.propagate = False
        return self
