"""Turn read features into valid lon/lat polygons, or say precisely what is wrong.

Every refusal says what to do; the fixes a user may ask for (a buffer for
lines and points, repair, simplification, swapped axes, a CRS) live in
:class:`RegionFix`, so nothing is changed behind the user's back, and every change
made is reported as a note. A refusal names the field that would help as a
:class:`~eojobs.errors.Fix`, which the CLI shows as its flag.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from eojobs.errors import Fix, Message, RegionError
from eojobs.geo import crs as crs_mod
from eojobs.geo.area import geodesic_area_m2, polygonal, ring_coordinates
from eojobs.geo.features import Feature, Parsed

#: Metres in a degree of latitude (and of longitude at the equator), near enough for tolerances.
METRES_PER_DEGREE = 111_320.0
#: Larger buffers and tolerances are mistakes (a unit slip), not regions.
MAX_BUFFER_M = 1_000_000.0
MAX_SIMPLIFY_M = 100_000.0
_POLYGONAL = ("Polygon", "MultiPolygon")
#: The fix that closes rings, mends invalid polygons and splits them at the antimeridian.
REPAIR = Fix("repair", True)
_WORLD = box(-180, -90, 180, 90)


@dataclass(frozen=True)
class RegionFix:
    """Changes a user allows while reading a region; none is made unless asked for.

    ``buffer_m`` turns points and lines into areas; ``repair`` closes open
    rings, fixes self-intersections with ``make_valid`` and splits polygons
    that cross the antimeridian; ``simplify_m`` removes vertices closer than
    that to the outline; ``swap_xy`` reads lat,lon input; ``crs`` names the
    CRS of input that names none itself (a ``.shp`` without ``.prj``, WKT).
    """

    buffer_m: float | None = None
    repair: bool = False
    simplify_m: float | None = None
    swap_xy: bool = False
    crs: str | None = None

    def __post_init__(self) -> None:
        for name, most in (("buffer_m", MAX_BUFFER_M), ("simplify_m", MAX_SIMPLIFY_M)):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise RegionError(f"{name} must be a number of metres, not {value!r}")
            if not (math.isfinite(value) and 0 < value <= most):
                raise RegionError(f"{name} must be more than 0 and at most {most:,.0f} metres, "
                                  f"got {value:g}")
        if self.crs is not None and not isinstance(self.crs, str):
            raise RegionError(f"crs must be text such as 'EPSG:27700', not {self.crs!r}")


def clean(parsed: Parsed, fix: RegionFix,
          source: str) -> tuple[list[tuple[BaseGeometry, str]], list[str]]:
    """Each feature as a valid lon/lat (multi)polygon with its label, and notes on changes."""
    notes = list(parsed.notes)
    crs = _crs(parsed.crs, fix.crs, source)
    out: list[tuple[BaseGeometry, str]] = []
    skipped: set[str] = set()
    for feature in parsed.features:
        many = len(parsed.features) > 1
        where = f"{source} {feature.label}".strip() if many else source
        geometry = _feature(feature, fix, crs, where, notes, skipped)
        if geometry is not None:
            out.append((geometry, feature.label))
    if not out:
        if not skipped:
            raise RegionError(f"{source} is empty: it has no coordinates")
        kinds = ", ".join(sorted(skipped))
        raise RegionError(Message(f"{source} has no polygon, only {kinds}; a region must be an "
                                  "area", _buffer_hint(skipped)))
    if skipped:
        notes.append(f"ignored the {', '.join(sorted(skipped))} beside the polygons")
    return out, _unique(notes)


def simplify(geometry: BaseGeometry, tolerance_m: float) -> BaseGeometry:
    """``geometry`` without the vertices within ``tolerance_m`` of its outline, still valid."""
    return in_metres(geometry, lambda g: shapely.simplify(g, tolerance_m, preserve_topology=True))


def in_metres(geometry: BaseGeometry, operation: Any) -> BaseGeometry:
    """Apply ``operation`` to ``geometry`` in local metres (an equirectangular projection)."""
    _, south, _, north = geometry.bounds
    kx = max(math.cos(math.radians((south + north) / 2)), 0.01) * METRES_PER_DEGREE
    ky = METRES_PER_DEGREE
    local = affinity.scale(geometry, xfact=kx, yfact=ky, origin=(0, 0))
    result: BaseGeometry = operation(local)
    return affinity.scale(result, xfact=1 / kx, yfact=1 / ky, origin=(0, 0))


def _crs(named: str | None, given: str | None, source: str) -> str | None:
    if named and given and not crs_mod.same(named, given):
        raise RegionError(f"{source} names its CRS as {crs_mod.describe(named)}, but "
                          f"{crs_mod.describe(given)} was given; drop the CRS option")
    return named or given


def _feature(feature: Feature, fix: RegionFix, crs: str | None, where: str, notes: list[str],
             skipped: set[str]) -> BaseGeometry | None:
    geometry = feature.geometry
    if geometry is None or geometry.is_empty:
        return None
    if shapely.has_z(geometry):
        heights = shapely.get_coordinates(geometry, include_z=True)[:, 2]
        geometry = shapely.force_2d(geometry)
        if np.any(np.nan_to_num(heights) != 0):
            notes.append("dropped the Z (height) values; a region is flat")
    _check_finite(geometry, where)
    if fix.swap_xy:
        geometry = shapely.transform(geometry, lambda c: c[:, ::-1])
        notes.append("swapped the axes: read the coordinates as lat,lon")
    geometry = _to_lonlat(geometry, crs, where, notes, given=fix.crs is not None and crs == fix.crs)
    _check_range(geometry, where, crs)
    geometry = _polygons(geometry, fix, where, notes, skipped)
    if geometry is None:
        return None
    geometry = _antimeridian(geometry, fix, where, notes)
    if feature.open_ring:
        if not fix.repair:
            raise RegionError(Message(
                f"{where} has a ring that is not closed: {feature.open_ring}; the last point "
                "must repeat the first. Close it, or pass ", REPAIR, " to close it"))
        notes.append(f"closed an open ring in {where}")
    geometry = _valid(geometry, fix, where, notes)
    if fix.simplify_m:
        before = shapely.get_num_coordinates(geometry)
        geometry = polygonal(shapely.make_valid(simplify(geometry, fix.simplify_m)))
        if geometry is None or geometry.is_empty:
            raise RegionError(f"{where} vanishes when simplified to {fix.simplify_m:g} m; "
                              "use a smaller tolerance")
        after = shapely.get_num_coordinates(geometry)
        notes.append(f"simplified to {fix.simplify_m:g} m: {before:,} vertices became {after:,}")
    if geometry.area == 0:
        raise RegionError(f"{where} has no area")
    return geometry


def _check_finite(geometry: BaseGeometry, where: str) -> None:
    coords = shapely.get_coordinates(geometry)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        index = int(np.argmax(bad))
        raise RegionError(f"{where} has NaN or infinite coordinates (vertex {index + 1}: "
                          f"{coords[index][0]}, {coords[index][1]})")


def _to_lonlat(geometry: BaseGeometry, crs: str | None, where: str,
               notes: list[str], given: bool) -> BaseGeometry:
    if crs_mod.is_lonlat(crs):
        return geometry
    assert crs is not None
    if crs_mod.is_geographic(crs):
        try:
            import pyproj  # noqa: F401
        except ImportError:
            notes.append(f"read {crs_mod.describe(crs)} as WGS84 lon/lat (they differ by "
                         "metres at most; install pyproj for an exact transformation)")
            return geometry
    notes.append(f"reprojected from {crs_mod.describe(crs)} to lon/lat WGS84")
    return crs_mod.to_lonlat(geometry, crs, where, given)


def _check_range(geometry: BaseGeometry, where: str, crs: str | None) -> None:
    coords = shapely.get_coordinates(geometry)
    x, y = np.abs(coords[:, 0]), np.abs(coords[:, 1])
    outside = (x > 180) | (y > 90)
    if not outside.any():
        return
    if (x <= 90).all() and (y <= 180).all():
        raise RegionError(Message(
            f"{where} has latitudes beyond ±90 that would fit as longitudes: the coordinates "
            "look like lat,lon, but GeoJSON, WKT and KML give lon,lat. Swap them (",
            Fix("swap_xy", True), ")"
        ))
    index = int(np.argmax(outside))
    px, py = coords[index]
    if crs is None and (x > 180).all() and (x.min() > 1000 or y.min() > 1000):
        raise RegionError(Message(
            f"{where} looks projected (a vertex at {px:,.0f}, {py:,.0f}), not in lon/lat "
            "degrees, and names no CRS; give its CRS (", Fix("crs", "EPSG:27700"),
            "), or reproject it to EPSG:4326"
        ))
    raise RegionError(
        f"{where} has a vertex outside lon/lat range at ({px:g}, {py:g}): longitude must be "
        "within -180..180 and latitude within -90..90 (WGS84 degrees)"
    )


def _polygons(geometry: BaseGeometry, fix: RegionFix, where: str, notes: list[str],
              skipped: set[str]) -> BaseGeometry | None:
    if geometry.geom_type in _POLYGONAL:
        return geometry
    parts = list(getattr(geometry, "geoms", [geometry]))
    areas = [p for p in parts if p.geom_type in _POLYGONAL]
    others = [p for p in parts if p.geom_type not in _POLYGONAL]
    if others and fix.buffer_m:
        buffered = shapely.union_all([in_metres(p, lambda g: g.buffer(fix.buffer_m))
                                      for p in others])
        kinds = ", ".join(sorted({p.geom_type for p in others}))
        notes.append(f"buffered the {kinds} of {where} by {fix.buffer_m:g} m")
        _, south, _, north = buffered.bounds
        if south < -90 or north > 90:
            raise RegionError(
                f"the {fix.buffer_m:g} m buffer around {where} reaches a pole, where a buffer "
                "drawn in lon/lat would be wrong; give the polar area as a polygon or a bbox "
                "instead (e.g. -180,80,180,90)")
        wrapped = _wrap(buffered)
        if wrapped is not buffered:
            notes.append(f"the buffer around {where} reaches past 180°: wrapped it across "
                         "the antimeridian")
        areas.append(wrapped)
    else:
        skipped.update(p.geom_type for p in others)
    if not areas:
        return None
    if len(areas) == 1:
        return areas[0]
    if all(a.is_valid for a in areas):
        return shapely.union_all(areas)
    return MultiPolygon([g for a in areas for g in getattr(a, "geoms", [a])])


def _wrap(geometry: BaseGeometry) -> BaseGeometry:
    """``geometry`` itself if it lies within ±180°; else what lies beyond, moved by 360°."""
    w, _, e, _ = geometry.bounds
    if w >= -180 and e <= 180:
        return geometry
    parts = [geometry.intersection(_WORLD)]
    if e > 180:
        parts.append(affinity.translate(geometry.intersection(box(180, -90, 540, 90)), -360))
    if w < -180:
        parts.append(affinity.translate(geometry.intersection(box(-540, -90, -180, 90)), 360))
    kept = [p for p in (polygonal(q) for q in parts) if p is not None and not p.is_empty]
    return shapely.union_all(kept) if kept else geometry.intersection(_WORLD)


def _buffer_hint(skipped: set[str]) -> Message:
    if skipped & {"Point", "MultiPoint", "LineString", "MultiLineString", "LinearRing"}:
        return Message("; to cover the area around them, pass a buffer in metres (",
                       Fix("buffer_m", 100), ")")
    return Message()


def _antimeridian(geometry: BaseGeometry, fix: RegionFix, where: str,
                  notes: list[str]) -> BaseGeometry:
    crossing = _crossing(geometry)
    if crossing is None:
        return geometry
    if not fix.repair:
        (x0, y0), (x1, y1) = crossing
        raise RegionError(Message(
            f"{where} has an edge from ({x0:g}, {y0:g}) to ({x1:g}, {y1:g}) that spans more "
            "than 180° of longitude. If it crosses the antimeridian (180°), pass ", REPAIR,
            " to split it there; if it really goes the long way round, add vertices so that "
            "no edge spans 180° or more"
        ))
    polygons = list(getattr(geometry, "geoms", [geometry]))
    split = shapely.union_all([_split_at_180(p) if _crossing(p) else p for p in polygons])
    notes.append(f"split {where} at the antimeridian, taking it as crossing 180° "
                 f"({geodesic_area_m2(split) / 1e6:,.0f} km²)")
    return split


def _crossing(geometry: BaseGeometry) -> tuple[Any, Any] | None:
    """The first edge that spans more than 180° of longitude, if any."""
    coords, ring, _ = ring_coordinates(geometry)
    x = coords[:, 0]
    # An edge along or onto ±180 is deliberate (a polar cap, the whole world).
    jumps = ((ring[1:] == ring[:-1]) & (np.abs(np.diff(x)) > 180)
             & (np.abs(x[:-1]) != 180) & (np.abs(x[1:]) != 180))
    if not jumps.any():
        return None
    i = int(np.argmax(jumps))
    return tuple(coords[i]), tuple(coords[i + 1])


def _split_at_180(polygon: Polygon) -> BaseGeometry:
    def east(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([np.where(coords[:, 0] < 0, coords[:, 0] + 360, coords[:, 0]),
                                coords[:, 1]])

    shifted = shapely.make_valid(shapely.transform(polygon, east))
    west_part = shifted.intersection(box(-180, -90, 180, 90))
    east_part = affinity.translate(shifted.intersection(box(180, -90, 540, 90)), xoff=-360)
    return shapely.union_all([g for g in (west_part, east_part) if not g.is_empty])


_LOCATION = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")
_REASONS = {
    "Self-intersection": "its outline crosses itself",
    "Ring Self-intersection": "a ring touches itself",
    "Hole lies outside shell": "a hole lies outside its polygon",
    "Nested shells": "one polygon lies inside another",
    "Interior is disconnected": "a hole cuts the polygon in two",
    "Too few points": "a ring has too few distinct points",
    "Too few points in geometry component": "a ring has fewer than three distinct points",
    "Duplicate Rings": "a ring appears twice",
    "Nested holes": "a hole lies inside another hole",
}


def _valid(geometry: BaseGeometry, fix: RegionFix, where: str, notes: list[str]) -> BaseGeometry:
    if geometry.is_valid:
        return geometry
    reason = shapely.is_valid_reason(geometry)
    if fix.repair:
        repaired = polygonal(shapely.make_valid(geometry))
        if repaired is None or repaired.is_empty:
            raise RegionError(f"{where} cannot be repaired: nothing polygonal is left")
        notes.append(f"repaired {where} with make_valid ({_explain(reason)})")
        return repaired
    raise RegionError(Message(f"{where} is not a valid polygon: {_explain(reason)}; fix it in "
                              "your GIS, or pass ", REPAIR, " to fix it with make_valid"))


def _explain(reason: str) -> str:
    kind = reason.split("[", 1)[0].strip()
    text = _REASONS.get(kind, kind or reason)
    match = _LOCATION.search(reason)
    if match:
        text += f" at ({float(match.group(1)):.6g}, {float(match.group(2)):.6g})"
    return text


def _unique(notes: list[str]) -> list[str]:
    return list(dict.fromkeys(notes))
