"""Validate and coerce job options against a service's declared option specs."""

from __future__ import annotations

import json
import math
import re
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from eojobs.errors import Fix, Message, OptionError
from eojobs.models import DataType, OptionSpec, Service
from eojobs.suggest import did_you_mean as _did_you_mean

_TRUE = {"true", "yes", "y", "on", "1", "t"}
_FALSE = {"false", "no", "n", "off", "0", "f"}
#: A number followed (or, for money, preceded) by a unit: "10m", "5 km", "30%", "$12".
_WITH_UNIT = re.compile(
    r"^\s*(?P<pre>[$€£¥])?\s*(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*"
    r"(?P<post>%|°\w*|[^\W\d_][\w²³]*(?:\s*/\s*[^\W\d_]\w*)?)?\s*$"
)
_PACKAGE = str(Path(__file__).parent)


class AssumedUTCWarning(UserWarning):
    """A date-time option was given without a timezone, so it was taken as UTC.

    Silence it with ``warnings.simplefilter("ignore", AssumedUTCWarning)``, or
    make it an error with ``"error"``; the CLI shows it as a notice on stderr.
    """


def coerce_options(service: Service, given: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the options to send: given values coerced to their types, plus defaults.

    Raises OptionError for an unknown name, a missing required option, or a
    value that does not fit its type.
    """
    if given is not None and not isinstance(given, Mapping):
        raise OptionError(f"options are a mapping of names to values, such as "
                          f"{{'resolution': 30}}, not {given!r}")
    given = dict(given or {})
    names = [o.name for o in service.options]
    for name in given:
        if service.option(name) is None:
            hint = _did_you_mean(name, names)
            valid = ", ".join(names) if names else "none"
            raise OptionError(
                f"{service.name} has no option {name!r}{hint}; its options are: {valid}"
            )
    out: dict[str, Any] = {}
    for spec in service.options:
        if spec.name in given and given[spec.name] is not None:
            out[spec.name] = coerce_value(spec, given[spec.name])
        elif spec.default is not None:
            out[spec.name] = coerce_value(spec, spec.default)
        elif spec.required:
            raise OptionError(Message(
                f"{service.name} needs option {spec.name!r} ({spec.data_type.value}): give it "
                "(", Fix("options", Wanted(spec.name)), ")"))
    check_rules(service, out)
    return out


@dataclass(frozen=True)
class Wanted:
    """An option a caller must give, in a :class:`~eojobs.errors.Fix` of ``options``."""

    name: str

    def __repr__(self) -> str:
        return f"{{{self.name!r}: VALUE}}"


_WORDS = {"<": ("before", "less than"), "<=": ("at or before", "at most"),
          ">": ("after", "greater than"), ">=": ("at or after", "at least"),
          "!=": ("different from", "different from")}


def check_rules(service: Service, values: Mapping[str, Any]) -> None:
    """Raise OptionError for values that break a relation the service states between them."""
    for rule in service.option_rules:
        if rule.left not in values or rule.right not in values:
            continue
        left, right = values[rule.left], values[rule.right]
        try:
            if rule.holds(left, right):
                continue
        except TypeError:
            continue  # values of kinds that do not compare; the backend will judge
        word = _WORDS[rule.op][0 if isinstance(left, (date, datetime)) else 1]
        why = f" ({rule.message})" if rule.message else ""
        raise OptionError(f"{service.name}: {rule.left} ({_shown(left)}) must be {word} "
                          f"{rule.right} ({_shown(right)}){why}")


def _shown(value: Any) -> str:
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def coerce_value(spec: OptionSpec, value: Any) -> Any:
    """Coerce one value to the type of ``spec``, or raise OptionError saying what was expected."""
    kind = spec.data_type
    try:
        if kind is DataType.NUMBER:
            return _in_range(spec, _number(value, spec.unit))
        if kind is DataType.INTEGER:
            return _in_range(spec, _integer(value, spec.unit))
        if kind is DataType.DATE:
            return _date(value)
        if kind is DataType.JSON:
            return _json(value)
        if kind is DataType.CURRENCY:
            return _in_range(spec, _currency(value))
        if kind is DataType.BOOLEAN:
            return _boolean(value)
        if kind is DataType.DATETIME:
            return _datetime(spec, value)
        if kind is DataType.CONSTRAINED:
            return _constrained(spec, value)
        return _string(value)
    except _Bad as bad:
        raise OptionError(f"option {spec.name!r} {bad}") from None


class _Bad(Exception):
    pass


def _number(value: Any, unit: str | None = None) -> int | float:
    if isinstance(value, bool):
        raise _Bad(f"expects a number, not the boolean {value}")
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _Bad(f"expects a finite number, got {value}")
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise _Bad(f"expects a number, got {value!r}{_unit_hint(text, unit)}") from None
    else:
        raise _Bad(f"expects a number, got {type(value).__name__}")
    if isinstance(number, float) and not math.isfinite(number):
        raise _Bad(f"expects a finite number, got {value!r}")
    return number


def _integer(value: Any, unit: str | None) -> int:
    number = _number(value, unit)
    if isinstance(number, float):
        if not number.is_integer():
            raise _Bad(f"expects a whole number, got {value}")
        number = int(number)
    return number


def _date(value: Any) -> date:
    """A day: a date, or a date-time at midnight (its timezone, if any, aside)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            try:
                value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise _Bad(f"expects a date such as 2024-05-01, got {value!r}") from None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise _Bad(f"expects a date such as 2024-05-01, got {value.isoformat()}")
        return value.date()
    if isinstance(value, date):
        return value
    raise _Bad(f"expects a date such as 2024-05-01, got {type(value).__name__}")


def _json(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # given from Python: already the value
    try:
        return json.loads(value)
    except RecursionError:
        raise _Bad("expects JSON nested less deeply") from None
    except ValueError:
        raise _Bad(f'expects JSON, such as [1, 2] or {{"a": 1}}; got {value!r}') from None


def _unit_hint(text: str, unit: str | None) -> str:
    """Why a number with a unit is refused, and what to give instead; "" if no unit is seen."""
    match = _WITH_UNIT.match(text)
    given = match and (match.group("pre") or match.group("post"))
    if not given:
        return ""
    if not unit:
        return ": units are not accepted; give a plain number"
    if given.strip().lower() == unit.lower():
        return (f": units are not accepted; give a plain number in {unit}, "
                f"such as {match.group('num')}")
    return f": units are not accepted; give a plain number in {unit}"


def _in_range(spec: OptionSpec, number: Any) -> Any:
    if spec.minimum is not None and number < spec.minimum:
        raise _Bad(f"must be at least {spec.minimum:g}, got {number}")
    if spec.maximum is not None and number > spec.maximum:
        raise _Bad(f"must be at most {spec.maximum:g}, got {number}")
    return number


def _currency(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _Bad(f"expects a currency amount, not the boolean {value}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        hint = _unit_hint(str(value), None).replace("units are", "currency units are")
        raise _Bad(f"expects a currency amount such as 12.50, got {value!r}{hint}") from None
    if not amount.is_finite():
        raise _Bad(f"expects a finite currency amount, got {value!r}")
    return amount


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    hint = _did_you_mean(text, sorted(_TRUE | _FALSE, key=len, reverse=True))
    raise _Bad(f"expects a boolean (true/false, yes/no, on/off, 1/0), got {value!r}{hint}")


def _datetime(spec: OptionSpec, value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(
                f"expects an ISO 8601 date-time such as 2024-05-01T00:00:00Z, got {value!r}"
            ) from None
    else:
        raise _Bad(f"expects a date-time, got {type(value).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        warnings.warn(AssumedUTCWarning(f"option {spec.name!r}: no timezone given, assuming UTC"),
                      stacklevel=outside_eojobs())
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def outside_eojobs() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside eojobs."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def _string(value: Any) -> str:
    if isinstance(value, bool):
        raise _Bad(f"expects a string, got the boolean {value}; quote it in a job file")
    if not isinstance(value, (str, int, float, Decimal)):
        raise _Bad(f"expects a string, got {type(value).__name__}")
    return str(value)


def _constrained(spec: OptionSpec, value: Any) -> str:
    allowed = spec.allowed or []
    text = str(value).strip()
    for choice in allowed:
        if choice.lower() == text.lower():
            return choice
    hint = _did_you_mean(text, allowed)
    raise _Bad(f"must be one of {', '.join(allowed)}; got {text!r}{hint}")


def to_jsonable(value: Any) -> Any:
    """A JSON-friendly form of a coerced option value."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
