"""Check a region against what a backend takes, and suggest the fix that would fit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shapely

from eojobs.errors import Fix, Message, RegionError
from eojobs.geo.checks import simplify

if TYPE_CHECKING:
    from eojobs.models import RegionLimits
    from eojobs.region import Region

_TOLERANCES_M = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def check_limits(region: Region, limits: RegionLimits, backend: str) -> None:
    """Raise RegionError when ``region`` has more vertices or area than ``backend`` takes."""
    label = region.source or "the region"
    if limits.max_vertices is not None and region.vertex_count > limits.max_vertices:
        raise RegionError(Message(
            f"{label} has {region.vertex_count:,} vertices, more than {backend} takes "
            f"({limits.max_vertices:,}); ", _simplify_hint(region, limits.max_vertices)
        ))
    if limits.max_area_km2 is not None and region.area_km2 > limits.max_area_km2:
        raise RegionError(Message(
            f"{label} covers {region.area_km2:,.0f} km², more than {backend} takes in one job "
            f"({limits.max_area_km2:,.0f} km²); use a smaller region, or one job per feature "
            "(", Fix("Region.parse_each"), ")"
        ))


def _simplify_hint(region: Region, limit: int) -> Message:
    """The smallest tolerance from a fixed ladder that brings the region under ``limit``."""
    for metres in _TOLERANCES_M:
        count = int(shapely.get_num_coordinates(simplify(region.geometry, metres)))
        if count <= limit:
            return Message("simplify it with ", Fix("simplify_m", metres),
                           f", which leaves {count:,} vertices")
    return Message("simplify it in your GIS, or use a smaller region")
