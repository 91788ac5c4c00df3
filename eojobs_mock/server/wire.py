"""Wire conventions: timestamps, model objects without null keys, envelopes, JSON responses."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from werkzeug.wrappers import Response

from eojobs_mock.server.errors import bad_request


def iso(epoch: float | None) -> str | None:
    """An epoch time as an ISO 8601 UTC timestamp (``...Z``), or None."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: Any, field: str) -> float:
    """An ISO 8601 timestamp as epoch seconds (naive means UTC); 400 naming ``field`` if bad."""
    if not isinstance(value, str):
        raise bad_request(f"{field} must be an ISO 8601 date-time, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{field} must be an ISO 8601 date-time, got {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def model_object(fields: dict[str, Any]) -> dict[str, Any]:
    """A model object as sent: top-level keys without a value are left out, nested nulls kept."""
    return {key: value for key, value in fields.items() if value is not None}


def model_envelope(fields: dict[str, Any], extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"model": ..., "extras": ...}`` for one object."""
    body: dict[str, Any] = {"model": model_object(fields)}
    if extras is not None:
        body["extras"] = extras
    return body


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON response."""
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def error_response(status: int, message: str) -> Response:
    """The error body every failure is sent with."""
    return json_response({"error_message": message}, status)
