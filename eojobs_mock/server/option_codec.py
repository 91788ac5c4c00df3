"""Option values on the wire: always strings, encoded per data type, checked against validation.

The catalogue's OptionSpec definitions are the source; this module only
translates between their values (as the engine stores them) and the wire.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from eojobs.models import DataType, OptionSpec
from eojobs_mock.server.errors import bad_request

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
WIRE_TYPES = {
    DataType.NUMBER: "numeric", DataType.CURRENCY: "currency", DataType.BOOLEAN: "boolean",
    DataType.DATETIME: "datetime", DataType.STRING: "string", DataType.CONSTRAINED: "constrained",
}


def validation(spec: OptionSpec) -> str | None:
    """The ``validation`` rule string of an option."""
    if spec.data_type is DataType.DATETIME:
        return f"format={DATETIME_FORMAT}"
    if spec.data_type is DataType.CONSTRAINED:
        return "values=" + ",".join(spec.allowed or [])
    bounds = [f"{key}={value:g}" for key, value in (("min", spec.minimum), ("max", spec.maximum))
              if value is not None]
    return ";".join(bounds) or None


def encode(spec: OptionSpec, value: Any) -> str | None:
    """A stored option value as its wire string (None stays None)."""
    if value is None:
        return None
    kind = spec.data_type
    if kind is DataType.BOOLEAN:
        return "true" if value else "false"
    if kind is DataType.DATETIME:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime(DATETIME_FORMAT)
    return str(value)


def decode(spec: OptionSpec, text: Any) -> Any:
    """A wire value as the engine stores it; 400 naming the option if it does not fit."""
    if text is None or text in ("", "None", "null"):
        return None
    if not isinstance(text, str):
        raise bad_request(f"option {spec.name!r}: the value must be a string, got {text!r}")
    value = _parse(spec, text)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            raise bad_request(f"option {spec.name!r} must be at least {spec.minimum:g}")
        if spec.maximum is not None and value > spec.maximum:
            raise bad_request(f"option {spec.name!r} must be at most {spec.maximum:g}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def _parse(spec: OptionSpec, text: str) -> Any:
    """The strict wire form of each type, as the API documents it; 400 otherwise."""
    kind = spec.data_type
    try:
        if kind is DataType.BOOLEAN:
            if text not in ("true", "false"):
                raise ValueError
            return text == "true"
        if kind is DataType.NUMBER:
            number = float(text)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind is DataType.CURRENCY:
            amount = Decimal(text)
            if not amount.is_finite():
                raise ValueError
            return amount
        if kind is DataType.DATETIME:
            moment = datetime.strptime(text, DATETIME_FORMAT).replace(tzinfo=timezone.utc)
            return moment.isoformat()
    except (ValueError, ArithmeticError):
        raise bad_request(f"option {spec.name!r}: {text!r} is not a valid "
                          f"{WIRE_TYPES[kind]} value ({validation(spec) or 'see the API'})"
                          ) from None
    if kind is DataType.CONSTRAINED and text not in (spec.allowed or []):
        raise bad_request(f"option {spec.name!r} must be one of {', '.join(spec.allowed or [])}")
    return text


def wire_option(ssd_id: str, spec: OptionSpec, value: Any) -> dict[str, Any]:
    """One entry of a process's ``options`` list."""
    return {
        "ssd_id": ssd_id, "name": spec.name, "value": encode(spec, value),
        "required": spec.required, "data_type": WIRE_TYPES[spec.data_type],
        "validation": validation(spec), "mutually_exclusive": None, "advanced": False,
        "title": spec.title or spec.name, "description": spec.description,
    }
