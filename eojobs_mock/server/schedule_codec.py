"""Process schedules: ``run_type`` and the ``repeat_*`` fields, to and from the engine's schedule.

``repeat_gap`` travels as a JSON string of a relativedelta and
``repeat_offset`` as a JSON string of a timedelta; the official SDK echoes
them back as Python reprs (``relativedelta(days=+1)``, ``1:00:00``), which
are accepted too.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from typing import Any

from eojobs_mock.server.errors import bad_request

RUN_ONCE = "run_once"
RUN_SCHEDULE = "run_schedule"
_UNITS = {"weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0,
          "microseconds": 1e-6}
_UNSUPPORTED = ("years", "months", "leapdays", "year", "month", "day", "weekday", "hour",
                "minute", "second", "microsecond")
_REPR_PART = re.compile(r"(\w+)=([+-]?\d+(?:\.\d+)?)")
_TIMEDELTA = re.compile(r"^(?:(-?\d+) days?, )?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def gap_seconds(value: Any) -> float | None:
    """``repeat_gap`` in seconds, or None; 400 naming the field if it cannot be read."""
    parts = _parts(value, "repeat_gap")
    if parts is None:
        return None
    for key in _UNSUPPORTED:
        if parts.get(key) not in (None, 0):
            raise bad_request(f"repeat_gap: {key} is not supported by the mock platform; "
                              "express the gap in weeks, days, hours, minutes or seconds")
    seconds = sum(float(parts.get(k) or 0) * unit for k, unit in _UNITS.items())
    if seconds <= 0:
        raise bad_request("repeat_gap must be a positive interval")
    return seconds


def offset_seconds(value: Any) -> float | None:
    """``repeat_offset`` in seconds, or None; 400 naming the field if it cannot be read."""
    if isinstance(value, str) and (match := _TIMEDELTA.match(value.strip())):
        days, hours, minutes, seconds = match.groups()
        return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    parts = _parts(value, "repeat_offset")
    if parts is None:
        return None
    return sum(float(parts.get(k) or 0) * _UNITS[k] for k in ("days", "seconds", "microseconds"))


def gap_json(seconds: float | None) -> str | None:
    """A gap as the JSON string of a relativedelta."""
    if not seconds:
        return None
    days, rest = divmod(int(round(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    fields: dict[str, Any] = {"years": 0, "months": 0, "days": days, "leapdays": 0, "weeks": 0,
                              "hours": hours, "minutes": minutes, "seconds": secs,
                              "microseconds": 0}
    fields.update(dict.fromkeys(("year", "month", "day", "weekday", "hour", "minute", "second",
                                 "microsecond")))
    return json.dumps(fields)


def offset_json(seconds: float | None) -> str | None:
    """An offset as the JSON string of a timedelta."""
    if not seconds:
        return None
    days, rest = divmod(float(seconds), 86400)
    whole = math.floor(rest)
    return json.dumps({"days": int(days), "seconds": whole,
                       "microseconds": int(round((rest - whole) * 1e6))})


def engine_schedule(fields: dict[str, Any]) -> dict[str, Any] | None:
    """The engine's schedule for process fields (None runs once, when executed)."""
    if fields["run_type"] == RUN_ONCE:
        return None
    start = fields["repeat_start"] + (fields.get("repeat_offset") or 0.0)
    runs = max(1, int(fields["repeat_count"]))
    gap = fields.get("repeat_gap")
    end = fields.get("repeat_end")
    if end is not None:
        if end < start:
            raise bad_request("repeat_end is before the first run")
        if gap:
            runs = min(runs, int((end - start) // gap) + 1)
        else:
            runs = 1
    if runs > 1 and not gap:
        raise bad_request("repeat_gap is required when repeat_count asks for more than one run")
    moment = datetime.fromtimestamp(start, tz=timezone.utc)
    return {"start_at": moment.isoformat(), "repeat_count": runs,
            "repeat_every_s": gap if runs > 1 else None}


def _parts(value: Any, field: str) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_request(f"{field} must be a JSON string, got {value!r}")
    text = value.strip()
    if text.startswith(("relativedelta(", "datetime.timedelta(")):
        return {key: float(number) for key, number in _REPR_PART.findall(text)}
    try:
        parts = json.loads(text)
    except ValueError:
        raise bad_request(f"{field} must be a JSON object in a string, got {value!r}") from None
    if not isinstance(parts, dict):
        raise bad_request(f"{field} must be a JSON object in a string, got {value!r}")
    for key, number in parts.items():
        if number is not None and (isinstance(number, bool)
                                   or not isinstance(number, (int, float))):
            raise bad_request(f"{field}: {key} must be a number, got {number!r}")
    return parts
