"""Read the fields of STAC documents that backends receive, as the typed values of an Asset.

Platforms send them as untrusted JSON: each reader gives None for a value of
the wrong shape rather than an error, since they only describe a file.
"""

from __future__ import annotations

import math
from typing import Any

Json = dict[str, Any]


def four_numbers(value: Any) -> tuple[float, float, float, float] | None:
    """A bbox (west, south, east, north) as four finite numbers, or None for anything else."""
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in value):
        return None
    west, south, east, north = (float(v) for v in value)
    return west, south, east, north


def projection_code(fields: Json) -> str | None:
    """The CRS STAC's Projection extension gives (``proj:code``, or the older ``proj:epsg``)."""
    code = fields.get("proj:code")
    if isinstance(code, str) and code:
        return code
    epsg = fields.get("proj:epsg")
    return f"EPSG:{epsg}" if isinstance(epsg, int) and not isinstance(epsg, bool) else None


def pixel_shape(value: Any) -> tuple[int, int] | None:
    """STAC's ``proj:shape`` (rows, columns) as two positive whole numbers, or None."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        return None
    return value[0], value[1]
