"""Output for the CLI: JSON documents on stdout with --json, aligned tables otherwise."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import click

from eojobs.naming import printable


def wants_json(ctx: click.Context) -> bool:
    """True when the user asked for --json."""
    return bool(ctx.find_root().obj and ctx.find_root().obj.json)


def emit(ctx: click.Context, data: Any, human: Callable[[], None]) -> None:
    """Print ``data`` as one JSON document with --json, else call ``human``.

    ``data`` may be a function that makes it, so that it is made (and
    pydantic imported to dump models) only when JSON is asked for.
    """
    if wants_json(ctx):
        if callable(data):
            data = data()
        click.echo(json.dumps(tidy_numbers(data), indent=2, default=_default))
    else:
        human()


def notice(ctx: click.Context, message: str) -> None:
    """A message for people, on stderr; silent with --quiet or --json."""
    state = ctx.find_root().obj
    if state is not None and (state.quiet or state.json):
        return
    from eojobs.redact import redact_text

    click.echo(printable(redact_text(message)), err=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as an aligned plain-text table on stdout."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()
    click.echo(line)
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def human_size(size: int | None) -> str:
    """``1.5 MiB`` and the like."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def price_text(price: float | None) -> str:
    """``3.29 credits``, or a note that the backend gives no price."""
    if price is None:
        return "not given"
    return f"{number_text(price)} credit" if price == 1 else f"{number_text(price)} credits"


#: Significant digits a float keeps in output: enough for any amount, few enough to
#: drop the noise of binary sums (4930.340000000001 is shown as 4930.34).
SIGNIFICANT = 12


def tidy(value: float) -> float:
    """``value`` rounded to the precision it carries (see :data:`SIGNIFICANT`)."""
    return float(f"{value:.{SIGNIFICANT}g}") if math.isfinite(value) else value


def number_text(value: float) -> str:
    """A number as people write it: ``3.29``, ``4930.34``, ``12`` (not ``12.0``)."""
    value = tidy(float(value))
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def tidy_numbers(data: Any) -> Any:
    """``data`` with every float in it tidied (see :func:`tidy`), for JSON output."""
    if isinstance(data, float):
        return tidy(data)
    if isinstance(data, dict):
        return {k: tidy_numbers(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [tidy_numbers(v) for v in data]
    return data


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, (list, tuple)):
        return printable(", ".join(str(v) for v in value)) or "-"
    return printable(getattr(value, "value", value))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return str(value)
