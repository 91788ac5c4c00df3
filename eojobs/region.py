"""Region: a validated polygon or multipolygon of interest, in WGS84 lon/lat."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, box, mapping
from shapely.geometry.base import BaseGeometry

from eojobs.errors import Message, RegionError
from eojobs.geo.area import geodesic_area_m2, subdivide
from eojobs.geo.checks import REPAIR, RegionFix, clean
from eojobs.geo.features import Feature, Parsed

__all__ = ["MAX_SLICES", "Region", "RegionFix"]

#: The most slices :meth:`Region.split` makes; more means the limit is a mistake.
MAX_SLICES = 1000
#: Regions smaller than this (100 m by 100 m) get a note: probably not what was meant.
TINY_M2 = 10_000.0


class Region:
    """An area of interest: a valid, non-empty (multi)polygon in lon/lat degrees.

    Build one with :meth:`parse`, which takes anything below, or with
    :meth:`from_file` (GeoJSON, KML, KMZ, zipped or bare shapefiles, WKT,
    WKB), :meth:`from_geojson`, :meth:`from_wkt`, :meth:`from_wkb`,
    :meth:`from_bbox` or :meth:`from_geometry` (shapely, any
    ``__geo_interface__``, a GeoDataFrame). :meth:`parse_each` gives one
    region per feature instead of their union. A :class:`RegionFix` allows
    changes (buffer, repair, simplify, swapped axes, a CRS); each change made
    is listed in :attr:`notes`.
    """

    __slots__ = ("_geometry", "notes", "source")

    def __init__(self, geometry: BaseGeometry, source: str = "") -> None:
        parts, notes = clean(Parsed([Feature(geometry, "")]), RegionFix(), source or "the region")
        self._geometry = parts[0][0]
        self.source = source
        #: What was changed while reading, for the user to see (e.g. "dropped the Z values").
        self.notes: tuple[str, ...] = tuple(notes)

    @classmethod
    def _trusted(cls, geometry: BaseGeometry, source: str,
                 notes: Iterable[str] = ()) -> Region:
        region = cls.__new__(cls)
        region._geometry = geometry
        region.source = source
        region.notes = tuple(notes)
        return region

    def __repr__(self) -> str:
        w, s, e, n = self.bounds
        return f"Region({self._geometry.geom_type}, bounds=({w:.4f}, {s:.4f}, {e:.4f}, {n:.4f}))"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Region) and self._geometry.equals_exact(other._geometry, 0)

    def __hash__(self) -> int:
        return hash(self._geometry.wkb)

    @property
    def geometry(self) -> BaseGeometry:
        """The shapely geometry (Polygon or MultiPolygon)."""
        return self._geometry

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in degrees."""
        w, s, e, n = self._geometry.bounds
        return (w, s, e, n)

    @property
    def area_km2(self) -> float:
        """The area on the WGS84 sphere, in square kilometres."""
        return geodesic_area_m2(self._geometry) / 1e6

    @property
    def vertex_count(self) -> int:
        """The number of coordinates in all rings."""
        return int(shapely.get_num_coordinates(self._geometry))

    @property
    def __geo_interface__(self) -> dict[str, Any]:
        return self.to_geojson()

    def to_geojson(self) -> dict[str, Any]:
        """The region as a GeoJSON geometry dict."""
        return dict(mapping(self._geometry))

    def to_wkt(self) -> str:
        """The region as WKT."""
        return self._geometry.wkt

    def simplified(self, tolerance_m: float) -> Region:
        """A copy without the vertices within ``tolerance_m`` metres of the outline."""
        fix = RegionFix(simplify_m=tolerance_m)
        parts, notes = clean(Parsed([Feature(self._geometry, "")]), fix, self.source or "region")
        return Region._trusted(parts[0][0], self.source, (*self.notes, *notes))

    def split(self, max_area_km2: float) -> list[Region]:
        """Cut the region into pieces of at most ``max_area_km2`` each.

        Returns ``[self]`` when the region is already small enough.
        """
        if not max_area_km2 > 0 or not math.isfinite(max_area_km2):
            raise RegionError("max_area_km2 must be a positive number")
        area = self.area_km2
        if area <= max_area_km2:
            return [self]
        if area / max_area_km2 > MAX_SLICES:
            raise RegionError(
                f"a region of {area:,.0f} km² would need over {MAX_SLICES} slices of "
                f"{max_area_km2:g} km²; use a smaller region or larger slices"
            )
        pieces = subdivide(self._geometry, max_area_km2 * 1e6)
        return [Region._trusted(p, self.source) for p in pieces]

    @classmethod
    def parse(cls, value: Any, fix: RegionFix | None = None) -> Region:
        """Build one region from whatever a user has at hand; many features are merged.

        Accepts a Region, a shapely geometry, an object with ``__geo_interface__``
        (a GeoDataFrame too), a GeoJSON dict, WKB bytes, a ``(west, south, east,
        north)`` sequence, a path, or a string holding GeoJSON, WKT, hex WKB,
        ``W,S,E,N`` or a path.
        """
        if isinstance(value, Region) and fix is None:
            return value
        return _union(*_read_any(value, fix or RegionFix()))

    @classmethod
    def parse_each(cls, value: Any, fix: RegionFix | None = None) -> list[Region]:
        """Like :meth:`parse`, but one region per feature (placemark, shape) of the input."""
        parsed, source, fix = _read_any(value, fix or RegionFix())
        parts, notes = clean(parsed, fix, source)
        return [
            Region._trusted(geometry, f"{source} {label}".strip(), notes)
            for geometry, label in parts
        ]

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], fix: RegionFix | None = None) -> Region:
        """Read a region file: GeoJSON, KML, KMZ, a zipped or bare shapefile, WKT or WKB."""
        from eojobs.geo.files import read_path

        if not isinstance(path, (str, os.PathLike)):
            raise RegionError(f"a region file is a path, not {type(path).__name__}")
        p = _user_path(path)
        return _union(read_path(p), p.name or str(p), fix or RegionFix())

    @classmethod
    def from_geojson(cls, data: dict[str, Any] | str, source: str = "GeoJSON",
                     fix: RegionFix | None = None) -> Region:
        """Read a GeoJSON geometry, Feature or FeatureCollection (dict or string)."""
        from eojobs.geo.geojson import read_geojson

        return _union(read_geojson(data, source), source, fix or RegionFix())

    @classmethod
    def from_wkt(cls, text: str, source: str = "WKT", fix: RegionFix | None = None) -> Region:
        """Read a WKT polygon or multipolygon."""
        from eojobs.geo.files import from_wkt

        if not isinstance(text, str):
            raise RegionError(f"WKT is text, not {type(text).__name__}")
        return _union(from_wkt(text, source), source, fix or RegionFix())

    @classmethod
    def from_wkb(cls, data: bytes | str, source: str = "WKB",
                 fix: RegionFix | None = None) -> Region:
        """Read binary or hex-encoded WKB."""
        from eojobs.geo.files import from_wkb, geometry_parsed

        return _union(geometry_parsed(from_wkb(data, source)), source, fix or RegionFix())

    @classmethod
    def from_bbox(cls, bbox: Iterable[float], source: str = "bbox",
                  fix: RegionFix | None = None) -> Region:
        """Build a rectangle from ``(west, south, east, north)``."""
        return _union(_bbox(bbox, fix or RegionFix()), source, fix or RegionFix())

    @classmethod
    def from_geometry(cls, geometry: Any, source: str = "",
                      fix: RegionFix | None = None) -> Region:
        """Wrap a shapely geometry, or any object with ``__geo_interface__`` (a GeoDataFrame)."""
        return _union(*_read_any(geometry, fix or RegionFix(), source))


def _union(parsed: Parsed, source: str, fix: RegionFix) -> Region:
    parts, notes = clean(parsed, fix, source)
    geometry = _merge([g for g, _ in parts])
    area_m2 = geodesic_area_m2(geometry)
    if area_m2 < TINY_M2:
        notes.append(f"{source} covers only {area_m2:,.1f} m²; check it is the region you meant")
    return Region._trusted(geometry, source, notes)


def _merge(geometries: list[BaseGeometry]) -> BaseGeometry:
    """One (multi)polygon of valid parts: kept as they are when they do not overlap."""
    if len(geometries) == 1:
        return geometries[0]
    polygons = [p for g in geometries for p in getattr(g, "geoms", [g])]
    apart = MultiPolygon(polygons)
    return apart if apart.is_valid else shapely.union_all(geometries)


def _read_any(value: Any, fix: RegionFix, source: str = "") -> tuple[Parsed, str, RegionFix]:
    """Read any input ``Region.parse`` takes into features and a label for messages."""
    from eojobs.geo.files import from_wkb, geometry_parsed, read_path
    from eojobs.geo.geojson import read_geojson
    from eojobs.geo.sniff import looks_like_wkb as _looks_like_wkb

    if isinstance(value, Region):
        return Parsed([Feature(value.geometry, "")]), source or value.source or "region", fix
    if isinstance(value, BaseGeometry):
        return Parsed([Feature(value, "")]), source or value.geom_type, fix
    if isinstance(value, dict):
        return read_geojson(value, source or "GeoJSON"), source or "GeoJSON", fix
    if isinstance(value, os.PathLike):
        path = _user_path(value)
        return read_path(path), source or path.name, fix
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if not _looks_like_wkb(data):
            return _read_string(data.decode("utf-8", "replace"), fix)
        return geometry_parsed(from_wkb(data, "WKB")), source or "WKB", fix
    if isinstance(value, str):
        return _read_string(value, fix)
    if hasattr(type(value), "__geo_interface__") or "__geo_interface__" in getattr(
            value, "__dict__", {}):
        label = source or type(value).__name__
        parsed = read_geojson(_geo_interface(value, label), label)
        parsed.crs = _crs_of(value)
        return parsed, label, fix
    if (isinstance(value, Sequence) or np.ndim(value) == 1) and len(value) == 4:
        return _bbox(value, fix), source or "bbox", fix
    raise RegionError(
        f"cannot make a region from {type(value).__name__}: give a region file, GeoJSON, WKT, "
        "a bbox (west, south, east, north), a shapely geometry or a GeoDataFrame"
    )


def _read_string(text: str, fix: RegionFix) -> tuple[Parsed, str, RegionFix]:
    from eojobs.geo.files import from_wkb, from_wkt, geometry_parsed, read_path
    from eojobs.geo.geojson import read_geojson
    from eojobs.geo.sniff import Kind, sniff

    stripped = text.strip()
    if not stripped:
        raise RegionError("the region is empty: give a file, GeoJSON, WKT or W,S,E,N")
    parts = stripped.split(",")
    if len(parts) == 4 and all(_is_number(p) for p in parts):
        return _bbox([float(p) for p in parts], fix), "bbox", fix
    path = _user_path(stripped)
    if len(stripped) < 4096 and _exists(path):
        return read_path(path), path.name or str(path), fix
    if stripped[0] in "{[":
        return read_geojson(stripped, "GeoJSON"), "GeoJSON", fix
    try:
        kind = sniff(stripped[:4096].encode(), "the region")
    except RegionError:
        kind = None
    if kind is Kind.WKT:
        return from_wkt(stripped, "WKT"), "WKT", fix
    if kind is Kind.HEX_WKB:
        return geometry_parsed(from_wkb(stripped, "WKB")), "WKB", fix
    if len(parts) == 4:
        raise RegionError(f"bbox {stripped!r} is not four numbers west,south,east,north "
                          "(e.g. -4.3,55.8,-4.2,55.9)")
    raise RegionError(f"no such region file: {stripped} (nor is it GeoJSON, WKT, WKB or W,S,E,N)")


def _bbox(bbox: Iterable[float], fix: RegionFix) -> Parsed:
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise RegionError(
            "a bbox is four numbers: west, south, east, north (e.g. -4.3,55.8,-4.2,55.9)"
        ) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise RegionError(f"bbox {w:g},{s:g},{e:g},{n:g} has a value that is not a finite number")
    if s >= n:
        raise RegionError(f"bbox {w:g},{s:g},{e:g},{n:g} is empty: south ({s:g}) must be below "
                          f"north ({n:g}); the order is west,south,east,north")
    if w == e:
        raise RegionError(f"bbox {w:g},{s:g},{e:g},{n:g} has no width: west equals east")
    if w > e:
        if not fix.repair or not (-180 <= e < w <= 180):
            raise RegionError(Message(
                f"bbox {w:g},{s:g},{e:g},{n:g} has west ({w:g}) east of east ({e:g}); the order "
                "is west,south,east,north. For a box across the antimeridian, pass ", REPAIR
            ))
        return Parsed([Feature(box(w, s, 180, n).union(box(-180, s, e, n)), "")],
                      notes=[f"read bbox {w:g},{s:g},{e:g},{n:g} as crossing the antimeridian"])
    # A bbox spans west to east, however wide: short edges say so to the antimeridian check.
    return Parsed([Feature(shapely.segmentize(box(w, s, e, n), 90.0), "")])


def _geo_interface(value: Any, label: str) -> dict[str, Any]:
    try:
        data = value.__geo_interface__
    except Exception as exc:
        raise RegionError(f"{label}.__geo_interface__ failed: {exc}") from None
    if not isinstance(data, dict):
        raise RegionError(f"{label}.__geo_interface__ is not a GeoJSON-like dict")
    return data


def _crs_of(value: Any) -> str | None:
    """The CRS of a GeoDataFrame or GeoSeries (pyproj CRS in ``.crs``), as WKT."""
    crs = getattr(value, "crs", None)
    if crs is None:
        return None
    epsg = crs.to_epsg() if hasattr(crs, "to_epsg") else None
    if epsg == 4326:
        return None
    return crs.to_wkt() if hasattr(crs, "to_wkt") else str(crs)


def _user_path(value: str | os.PathLike[str]) -> Path:
    """``value`` as a path, with ``~`` expanded where it names a home directory."""
    try:
        return Path(value).expanduser()
    except (RuntimeError, ValueError):  # ~name of no known user, or a NUL in the name
        return Path(value)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
