"""Areas on the sphere, and cutting a region into pieces below an area limit."""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6378137.0


def geodesic_area_m2(geometry: BaseGeometry) -> float:
    """Area of a lon/lat (multi)polygon on the sphere, in square metres.

    Each ring's area follows Chamberlain and Duquette, for all rings at once:
    shells add, holes subtract.
    """
    coords, ring, shell = ring_coordinates(geometry)
    if not len(coords):
        return 0.0
    lon = np.radians(coords[:, 0])
    lat = np.radians(coords[:, 1])
    same = ring[1:] == ring[:-1]
    terms = (lon[1:] - lon[:-1]) * (2 + np.sin(lat[:-1]) + np.sin(lat[1:]))
    per_ring = np.abs(np.bincount(ring[:-1][same], weights=terms[same], minlength=len(shell)))
    return float(np.where(shell, per_ring, -per_ring).sum() * EARTH_RADIUS_M**2 / 2)


def ring_coordinates(geometry: BaseGeometry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ring's coordinates, the ring each belongs to, and which rings are shells."""
    polygons = np.asarray(list(getattr(geometry, "geoms", [geometry])), dtype=object)
    rings, owner = shapely.get_rings(polygons, return_index=True)
    shell = np.ones(len(rings), dtype=bool)
    shell[1:] = owner[1:] != owner[:-1]
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    return coords, ring, shell


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
