"""Read GeoJSON: a geometry, a Feature or a FeatureCollection, with a legacy ``crs``."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

from shapely.geometry import shape

from eojobs.errors import RegionError
from eojobs.geo.crs import geojson_crs
from eojobs.geo.features import Feature, Parsed, feature_label


def read_geojson(data: dict[str, Any] | str | bytes, source: str) -> Parsed:
    """Parse GeoJSON text or a dict into features; the geometries keep their own CRS."""
    try:
        return _read(data, source)
    except RecursionError:
        raise RegionError(f"{source} is nested too deeply to be GeoJSON") from None


def _read(data: dict[str, Any] | str | bytes, source: str) -> Parsed:
    if isinstance(data, (str, bytes)):
        data = _load(data, source)
    if not isinstance(data, dict):
        kind = "array" if isinstance(data, list) else type(data).__name__
        raise RegionError(f"{source} is a JSON {kind}, not a GeoJSON object")
    features = [
        _feature(geometry, label, source) for geometry, label in _walk(data, source, "")
    ]
    if not features:
        raise RegionError(f"{source} holds no geometry")
    return Parsed(features, crs=geojson_crs(data))


def _load(text: str | bytes, source: str) -> Any:
    try:
        return json.loads(text)
    except UnicodeDecodeError:
        raise RegionError(f"{source} is not UTF-8 text; GeoJSON must be UTF-8") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()):
            raise RegionError(
                f"{source} ends in the middle of the JSON (line {exc.lineno}); "
                "it looks truncated"
            ) from None
        # json's own words may end in "at" ("Unterminated string starting at").
        raise RegionError(f"{source} is not valid JSON: {exc.msg.removesuffix(' at')} "
                          f"(line {exc.lineno}, column {exc.colno})") from None


def _walk(data: dict[str, Any], source: str, label: str) -> Iterator[tuple[dict[str, Any], str]]:
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise RegionError(f"{source}: a FeatureCollection needs a 'features' list")
        for index, feature in enumerate(features, 1):
            if not isinstance(feature, dict):
                raise RegionError(f"{source}: feature {index} is not an object")
            yield from _walk(feature, source, feature_label(index, feature.get("properties")))
    elif kind == "Feature":
        geometry = data.get("geometry")
        if geometry is not None:
            if not isinstance(geometry, dict):
                raise RegionError(f"{source}: the geometry of {label or 'the feature'} "
                                  "is not an object")
            yield from _walk(geometry, source, label)
    elif kind == "GeometryCollection":
        for geometry in data.get("geometries") or []:
            if not isinstance(geometry, dict):
                raise RegionError(f"{source}: every geometry must be an object")
            yield from _walk(geometry, source, label)
    elif isinstance(kind, str) and "coordinates" in data:
        yield data, label
    else:
        raise RegionError(
            f"{source} is not GeoJSON: expected a geometry, Feature or FeatureCollection, "
            f"got type {kind!r}"
        )


def _feature(geometry: dict[str, Any], label: str, source: str) -> Feature:
    where = f"{source} {label}".strip()
    open_ring = _open_ring(geometry)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            parsed = shape(geometry)
    except Exception as exc:
        raise RegionError(f"{where} has a malformed {geometry.get('type')}: {exc}") from None
    return Feature(parsed, label, open_ring)


def _open_ring(geometry: dict[str, Any]) -> str | None:
    kind = geometry.get("type")
    coords = geometry.get("coordinates")
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    if not isinstance(polygons, list):
        return None
    for p, rings in enumerate(polygons, 1):
        if not isinstance(rings, list):
            return None
        for r, ring in enumerate(rings, 1):
            if isinstance(ring, list) and len(ring) >= 2 and ring[0] != ring[-1]:
                return (f"ring {r} of polygon {p} starts at {_point(ring[0])} "
                        f"but ends at {_point(ring[-1])}")
    return None


def _point(value: Any) -> str:
    try:
        return f"({float(value[0]):g}, {float(value[1]):g})"
    except (TypeError, ValueError, LookupError):
        return repr(value)[:40]
