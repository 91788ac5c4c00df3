"""Log lines for the shared HTTP session: each answer, and each retry with its reason.

Kept apart from ``eojobs.http`` so that the session's retry and timeout
rules and what is logged about them can change independently. URLs are
masked here, at the source, as well as by the CLI's redacting handler.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

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
