"""The level of a job's log line; its own module so the CLI can name the levels cheaply."""

from __future__ import annotations

import enum


class LogLevel(str, enum.Enum):
    """How serious a log line is."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
