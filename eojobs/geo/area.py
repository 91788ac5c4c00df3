"""Areas on the sphere, and cutting a region into pieces below an area limit."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6378137.0


def geodesic_area_m2(geometry: BaseGeometry) -> float:
    """Area of a lon/lat (multi)polygon on the sphere, in square metres."""
    polygons = geometry.geoms if geometry.geom_type == "MultiPolygon" else [geometry]
    total = 0.0
    for polygon in polygons:
        total += abs(_ring_area(np.asarray(polygon.exterior.coords)))
        for interior in polygon.interiors:
            total -= abs(_ring_area(np.asarray(interior.coords)))
    return total


def _ring_area(coords: np.ndarray) -> float:
    """Signed spherical area of a closed ring (the formula of Chamberlain and Duquette)."""
    if len(coords) < 4:
        return 0.0
    lon = np.radians(coords[:, 0])
    lat = np.radians(coords[:, 1])
    dlon = lon[1:] - lon[:-1]
    return float((dlon * (2 + np.sin(lat[:-1]) + np.sin(lat[1:]))).sum() * EARTH_RADIUS_M**2 / 2)


def subdivide(geometry: BaseGeometry, max_m2: float) -> list[BaseGeometry]:
    """Cut ``geometry`` in halves, again and again, until every piece is below ``max_m2``.

    Each level of halving touches every vertex about once, so the work grows
    as n log(pieces), not n times pieces as clipping to a grid would.
    Pieces come out west to east within south to north halves.
    """
    out: list[BaseGeometry] = []
    stack = [geometry]
    while stack:
        piece = stack.pop()
        if geodesic_area_m2(piece) <= max_m2:
            out.append(piece)
            continue
        w, s, e, n = piece.bounds
        wide = (e - w) * math.cos(math.radians((s + n) / 2)) >= (n - s)
        if wide:
            mid = (w + e) / 2
            halves = [box(mid, s, e, n), box(w, s, mid, n)]
        else:
            mid = (s + n) / 2
            halves = [box(w, mid, e, n), box(w, s, e, mid)]
        shapely.prepare(piece)
        for half in halves:
            part = polygonal(piece.intersection(half))
            if part is not None and not part.is_empty and part.area > 0:
                stack.append(part)
    return out


def polygonal(geometry: BaseGeometry) -> BaseGeometry | None:
    """The polygonal part of ``geometry`` (dropping points and lines), or None."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", [])
             if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)
