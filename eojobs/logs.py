"""Showing what eojobs does: a stderr handler for the ``eojobs`` loggers, with secrets masked.

The library only emits records, to ``logging.getLogger("eojobs")`` and its
children; nothing is shown until the CLI (``-v``, ``-vv``, ``EOJOBS_LOG``) or
a program calls :func:`enable`. At debug level urllib3's own lines are shown
too. Every record that reaches the handler passes a :class:`RedactingFilter`
first, so a signed URL's query string, a bearer token or a password never
reaches the terminal, whoever logged it.
"""

from __future__ import annotations

import logging
import os
import sys

from eojobs.errors import ConfigError
from eojobs.redact import redact_text

LOG_ENV = "EOJOBS_LOG"
#: The values ``EOJOBS_LOG`` takes, and the level each stands for.
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
#: Third-party loggers shown at debug level: the connections and request lines.
DEBUG_LOGGERS = ("urllib3",)

_handler: logging.Handler | None = None


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's whole formatted message, its arguments merged in.

    Applies to any record, including urllib3's ``"GET /path?signature=..."``
    lines; the record is rewritten in place so every later handler sees the
    masked text too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message (and traceback text) without secrets; keep it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


class StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time, so redirections and tests see it."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write one formatted record and a newline."""
        try:
            stream = sys.stderr
            stream.write(self.format(record) + "\n")
            stream.flush()
        except Exception:  # noqa: BLE001 - logging must never break the program
            self.handleError(record)


class _Formatter(logging.Formatter):
    """``warning: ...`` as the CLI writes its notices; ``debug eojobs.http: ...`` below."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        level = record.levelname.lower()
        if record.levelno >= logging.WARNING:
            return f"{level}: {text}"
        return f"{level} {record.name}: {text}"


def level_from(verbosity: int = 0, env: str | None = None) -> int:
    """The level asked for by ``-v`` counts and an ``EOJOBS_LOG`` value: the more verbose.

    ``-v`` is info, ``-vv`` debug; with neither, warnings only.
    """
    level = logging.WARNING
    if env is not None and env.strip():
        wanted = env.strip().lower()
        if wanted not in LEVELS:
            raise ConfigError(f"{LOG_ENV}={env!r} is not a log level; use one of "
                              f"{', '.join(LEVELS)}")
        level = LEVELS[wanted]
    if verbosity >= 2:
        level = min(level, logging.DEBUG)
    elif verbosity == 1:
        level = min(level, logging.INFO)
    return level


def enable(level: int | str | None = None) -> logging.Handler:
    """Show eojobs' log on stderr from ``level`` up (default: ``EOJOBS_LOG``, else warning).

    Calling it again changes the level; there is only ever one handler.
    Returns the handler, with its redacting filter.
    """
    global _handler
    if level is None:
        level = level_from(0, os.environ.get(LOG_ENV))
    elif isinstance(level, str):
        level = level_from(0, level)
    if _handler is None:
        _handler = StderrHandler()
        _handler.addFilter(RedactingFilter())
        _handler.setFormatter(_Formatter("%(message)s"))
    _attach("eojobs", level)
    for name in DEBUG_LOGGERS:
        if level <= logging.DEBUG:
            _attach(name, level)
        else:
            _detach(name)
    return _handler


def disable() -> None:
    """Stop showing the log: remove the handler that :func:`enable` added."""
    for name in ("eojobs", *DEBUG_LOGGERS):
        _detach(name)


def _attach(name: str, level: int) -> None:
    assert _handler is not None
    logger = logging.getLogger(name)
    logger.setLevel(level)
    if _handler not in logger.handlers:
        logger.addHandler(_handler)


def _detach(name: str) -> None:
    logger = logging.getLogger(name)
    if _handler is not None and _handler in logger.handlers:
        logger.removeHandler(_handler)
        logger.setLevel(logging.NOTSET)
