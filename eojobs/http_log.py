"""Log lines for the shared HTTP session: each answer, and each retry with its reason.

Kept apart from ``eojobs.http`` so that the session's retry and timeout
rules and what is logged about them can change independently. URLs are
masked here, at the source, as well as by the CLI's redacting handler.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from urllib3.util.retry import Retry

from eojobs.redact import redact_url

log = logging.getLogger("eojobs.http")


def log_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A requests ``response`` hook: ``GET <url> -> 200 in 0.012 s`` at info level."""
    if not log.isEnabledFor(logging.INFO):
        return
    request = response.request
    redirect = f" to {redact_url(response.headers.get('Location', ''))}" \
        if response.is_redirect else ""
    log.info("%s %s -> %s%s in %.3f s", request.method, redact_url(request.url or ""),
             response.status_code, redirect, response.elapsed.total_seconds())


def install(session: requests.Session) -> None:
    """Log every answer the session receives, redirects included."""
    hooks = session.hooks.setdefault("response", [])
    if log_response not in hooks:
        hooks.append(log_response)


def log_retry(method: str | None, url: str, reason: str) -> None:
    """One info line saying that a request is repeated and why."""
    log.info("retrying %s %s after %s", method or "request", redact_url(url), reason)


class LoggedRetry(Retry):
    """urllib3's Retry that logs each retry it allows, with the status or error that caused it."""

    def increment(self, method: str | None = None, url: str | None = None,
                  response: Any = None, error: Exception | None = None,
                  _pool: Any = None, _stacktrace: Any = None) -> Retry:
        """The next Retry (raising once none are left), with a log line for the repeat."""
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        if log.isEnabledFor(logging.INFO):
            where = url or ""
            if _pool is not None and where.startswith("/"):
                where = f"{_pool.scheme}://{_pool.host}:{_pool.port}{where}"
            if response is not None and getattr(response, "status", None):
                reason = f"HTTP {response.status}"
            else:
                reason = type(error).__name__ if error is not None else "a failure"
            log_retry(method, where, reason)
        return new
