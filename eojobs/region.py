"""Region: a validated polygon or multipolygon of interest, in WGS84 lon/lat."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from eojobs.errors import RegionError

EARTH_RADIUS_M = 6378137.0
#: The most slices :meth:`Region.split` makes; more means the limit is a mistake.
MAX_SLICES = 1000
_POLYGONAL = ("Polygon", "MultiPolygon")


class Region:
    """An area of interest: a valid, non-empty (multi)polygon in lon/lat degrees.

    Build one with :meth:`from_file`, :meth:`from_geojson`, :meth:`from_wkt`,
    :meth:`from_bbox`, :meth:`from_geometry`, or :meth:`parse`, which accepts
    any of those inputs.
    """

    __slots__ = ("_geometry", "source")

    def __init__(self, geometry: BaseGeometry, source: str = "") -> None:
        self.source = source
        self._geometry = _validate(geometry, source)

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

    def split(self, max_area_km2: float) -> list[Region]:
        """Cut the region into grid cells, each at most about ``max_area_km2``.

        Returns ``[self]`` when the region is already small enough.
        """
        if max_area_km2 <= 0:
            raise RegionError("max_area_km2 must be positive")
        area = self.area_km2
        if area <= max_area_km2:
            return [self]
        if area / max_area_km2 > MAX_SLICES:
            raise RegionError(
                f"a region of {area:,.0f} km² would need over {MAX_SLICES} slices of "
                f"{max_area_km2:g} km²; use a smaller region or larger slices"
            )
        w, s, e, n = self.bounds
        pieces = math.ceil(area / max_area_km2)
        # Cells of about equal extent; a finer grid than strictly needed keeps
        # every cell below the limit even when the region fills its bounds unevenly.
        aspect = (e - w) * math.cos(math.radians((s + n) / 2)) / max(n - s, 1e-12)
        cols = max(1, round(math.sqrt(pieces * 2 * aspect)))
        rows = max(1, math.ceil(pieces * 2 / cols))
        xs = np.linspace(w, e, cols + 1)
        ys = np.linspace(s, n, rows + 1)
        cells = [box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(rows) for i in range(cols)]
        prepared = self._geometry
        shapely.prepare(prepared)
        out = []
        for cell in cells:
            if not prepared.intersects(cell):
                continue
            part = _polygonal_part(prepared.intersection(cell))
            if part is not None and not part.is_empty and part.area > 0:
                out.append(Region(part, self.source))
        return out

    @classmethod
    def parse(cls, value: Any) -> Region:
        """Build a region from whatever a user has at hand.

        Accepts a Region, a shapely geometry, an object with ``__geo_interface__``,
        a GeoJSON dict, a ``(west, south, east, north)`` sequence, a path to a
        GeoJSON file, or a string holding GeoJSON, WKT or ``W,S,E,N``.
        """
        if isinstance(value, Region):
            return value
        if isinstance(value, BaseGeometry):
            return cls.from_geometry(value)
        if isinstance(value, dict):
            return cls.from_geojson(value)
        if isinstance(value, os.PathLike):
            return cls.from_file(value)
        if isinstance(value, str):
            return cls._from_string(value)
        if hasattr(value, "__geo_interface__"):
            return cls.from_geojson(value.__geo_interface__, source=type(value).__name__)
        if isinstance(value, Sequence) and len(value) == 4:
            return cls.from_bbox(value)
        raise RegionError(
            f"cannot make a region from {type(value).__name__}: give a GeoJSON file, "
            "GeoJSON, WKT, a bbox (west, south, east, north) or a shapely geometry"
        )

    @classmethod
    def _from_string(cls, text: str) -> Region:
        stripped = text.strip()
        if not stripped:
            raise RegionError("the region is empty: give a file, GeoJSON, WKT or W,S,E,N")
        if stripped.startswith("{"):
            return cls.from_geojson(stripped)
        parts = stripped.split(",")
        if len(parts) == 4 and all(_is_number(p) for p in parts):
            return cls.from_bbox([float(p) for p in parts])
        head = stripped.split("(", 1)[0].strip().upper()
        if head in _WKT_TYPES or head.startswith(("POLYGON", "MULTIPOLYGON")):
            return cls.from_wkt(stripped)
        path = Path(stripped).expanduser()
        if path.exists():
            return cls.from_file(path)
        raise RegionError(
            f"no such region file: {stripped} (nor is it GeoJSON, WKT or W,S,E,N)"
        )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Region:
        """Read a GeoJSON file (geometry, Feature or FeatureCollection)."""
        p = Path(path).expanduser()
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RegionError(f"no such region file: {p}") from None
        except IsADirectoryError:
            raise RegionError(f"{p} is a directory, not a region file") from None
        except UnicodeDecodeError:
            raise RegionError(f"{p} is not a text file; expected GeoJSON") from None
        except OSError as exc:
            raise RegionError(f"cannot read {p}: {exc.strerror}") from None
        stripped = text.strip()
        if not stripped:
            raise RegionError(f"{p} is empty")
        if not stripped.startswith("{"):
            head = stripped.split("(", 1)[0].strip().upper()
            if head in _WKT_TYPES:
                return cls.from_wkt(stripped, source=str(p))
            raise RegionError(f"{p} is not GeoJSON (it does not start with '{{')")
        return cls.from_geojson(stripped, source=str(p))

    @classmethod
    def from_geojson(cls, data: dict[str, Any] | str, source: str = "GeoJSON") -> Region:
        """Read a GeoJSON geometry, Feature or FeatureCollection (dict or string).

        The polygons of a FeatureCollection are merged into one region.
        """
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise RegionError(
                    f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
                ) from None
        if not isinstance(data, dict):
            raise RegionError(f"{source} is not a GeoJSON object")
        _check_crs(data, source)
        geometries = list(_geojson_geometries(data, source))
        if not geometries:
            raise RegionError(f"{source} holds no geometry")
        shapes = []
        for geom in geometries:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    shapes.append(shape(geom))
            except Exception as exc:
                raise RegionError(f"{source} has a malformed {geom.get('type')}: {exc}") from None
        geometry = shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
        return cls(geometry, source)

    @classmethod
    def from_wkt(cls, text: str, source: str = "WKT") -> Region:
        """Read a WKT polygon or multipolygon."""
        try:
            geometry = shapely.from_wkt(text)
        except shapely.errors.ShapelyError as exc:
            raise RegionError(f"{source} is not valid WKT: {exc}") from None
        return cls(geometry, source)

    @classmethod
    def from_bbox(cls, bbox: Iterable[float], source: str = "bbox") -> Region:
        """Build a rectangle from ``(west, south, east, north)``."""
        try:
            w, s, e, n = (float(v) for v in bbox)
        except (TypeError, ValueError):
            raise RegionError(
                "a bbox is four numbers: west, south, east, north (e.g. -4.3,55.8,-4.2,55.9)"
            ) from None
        if not all(math.isfinite(v) for v in (w, s, e, n)):
            raise RegionError(f"bbox {w},{s},{e},{n} has a value that is not a finite number")
        if w >= e or s >= n:
            raise RegionError(
                f"bbox {w},{s},{e},{n} is empty: west must be below east and south below north"
            )
        return cls(box(w, s, e, n), source)

    @classmethod
    def from_geometry(cls, geometry: BaseGeometry, source: str = "geometry") -> Region:
        """Wrap a shapely geometry."""
        return cls(geometry, source)


_WKT_TYPES = {"POLYGON", "MULTIPOLYGON", "POINT", "LINESTRING", "MULTIPOINT",
              "MULTILINESTRING", "GEOMETRYCOLLECTION", "POLYGON Z", "MULTIPOLYGON Z"}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _geojson_geometries(data: dict[str, Any], source: str) -> Iterable[dict[str, Any]]:
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise RegionError(f"{source}: a FeatureCollection needs a 'features' list")
        for feature in features:
            if not isinstance(feature, dict):
                raise RegionError(f"{source}: every feature must be an object")
            yield from _geojson_geometries(feature, source)
    elif kind == "Feature":
        geometry = data.get("geometry")
        if geometry is not None:
            if not isinstance(geometry, dict):
                raise RegionError(f"{source}: a Feature's geometry must be an object")
            yield from _geojson_geometries(geometry, source)
    elif kind == "GeometryCollection":
        for geometry in data.get("geometries") or []:
            if not isinstance(geometry, dict):
                raise RegionError(f"{source}: every geometry must be an object")
            yield from _geojson_geometries(geometry, source)
    elif isinstance(kind, str) and "coordinates" in data:
        yield data
    else:
        raise RegionError(
            f"{source} is not GeoJSON: expected a geometry, Feature or FeatureCollection, "
            f"got type {kind!r}"
        )


_LONLAT_CRS = ("CRS84", "EPSG::4326", "EPSG:4326", "CRS:84")


def _check_crs(data: dict[str, Any], source: str) -> None:
    """Refuse a legacy GeoJSON ``crs`` member that names anything but lon/lat WGS84."""
    crs = data.get("crs")
    if not isinstance(crs, dict):
        return
    properties = crs.get("properties")
    name = str(properties.get("name", "")) if isinstance(properties, dict) else ""
    if name and not name.upper().endswith(_LONLAT_CRS):
        raise RegionError(
            f"{source} is in {name}, not lon/lat WGS84; reproject it to EPSG:4326 "
            "(for example with ogr2ogr -t_srs EPSG:4326 or QGIS) and try again"
        )


def _polygonal_part(geometry: BaseGeometry) -> BaseGeometry | None:
    if geometry.geom_type in _POLYGONAL:
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if g.geom_type in _POLYGONAL]
    if not parts:
        return None
    return shapely.union_all(parts)


def _validate(geometry: BaseGeometry, source: str) -> BaseGeometry:
    label = source or "the region"
    if geometry is None or geometry.is_empty:
        raise RegionError(f"{label} is empty: it has no polygon")
    if geometry.geom_type == "GeometryCollection":
        polygonal = _polygonal_part(geometry)
        if polygonal is None:
            kinds = sorted({g.geom_type for g in geometry.geoms})
            raise RegionError(f"{label} has no polygon, only {', '.join(kinds)}")
        geometry = polygonal
    if geometry.geom_type not in _POLYGONAL:
        raise RegionError(
            f"{label} is a {geometry.geom_type}; a region must be a Polygon or MultiPolygon"
        )
    if shapely.has_z(geometry):
        geometry = shapely.force_2d(geometry)
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        raise RegionError(f"{label} has NaN or infinite coordinates")
    lon, lat = coords[:, 0], coords[:, 1]
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        w, s, e, n = geometry.bounds
        raise RegionError(
            f"{label} is not in lon/lat degrees: its bounds ({w:g}, {s:g}, {e:g}, {n:g}) "
            "leave -180..180, -90..90; reproject it to WGS84 (EPSG:4326)"
        )
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise RegionError(f"{label} is not a valid polygon: {reason}")
    if geometry.area == 0:
        raise RegionError(f"{label} has no area")
    if isinstance(geometry, (Polygon, MultiPolygon)):
        return geometry
    raise RegionError(f"{label} is not a polygon")  # pragma: no cover


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
