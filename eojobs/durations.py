"""Short durations such as ``90s``, ``15m``, ``6h``, ``1d`` or ``2w``, read and written."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """``90`` (seconds), ``90s``, ``15m``, ``6h``, ``1d`` or ``2w`` to a positive timedelta.

    Raises ValueError for anything else, or a duration too long to represent.
    """
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration such as 30m, 6h or 1d")
    try:
        gap = timedelta(seconds=float(match.group(1)) * _SECONDS[match.group(2).lower()])
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None
    if gap <= timedelta(0):  # also what rounds to nothing, such as 0.0000001s
        raise ValueError(f"{text!r} is not a duration such as 30m, 6h or 1d")
    return gap


def format_duration(gap: timedelta) -> str:
    """The shortest exact form :func:`parse_duration` reads back, e.g. ``1d`` or ``90m``."""
    seconds = gap.total_seconds()
    for unit in ("w", "d", "h", "m"):
        count = seconds / _SECONDS[unit]
        if count >= 1 and count.is_integer():
            return f"{int(count)}{unit}"
    return f"{seconds:.6f}".rstrip("0").rstrip(".") + "s"
