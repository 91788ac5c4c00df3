"""Read KML (Google Earth) polygons, one feature per Placemark.

KML geometry is a handful of elements holding ``lon,lat[,alt]`` tuples, so
the standard library's ElementTree reads it; it resolves no external
entities, and the expat it uses refuses entity-expansion bombs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from xml.etree import ElementTree

import numpy as np
import shapely
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from eojobs.errors import RegionError
from eojobs.geo.features import Feature, Parsed

_GEOMETRIES = {"Polygon", "LineString", "LinearRing", "Point", "MultiGeometry"}


def read_kml(data: bytes, source: str) -> Parsed:
    """Parse KML bytes into features, one per Placemark (or per bare geometry)."""
    root = _parse(data, source)
    if _local(root.tag) != "kml":
        raise RegionError(f"{source} is XML but not KML: its root element is "
                          f"<{_local(root.tag)}>")
    placemarks = [e for e in root.iter() if _local(e.tag) == "Placemark"]
    features: list[Feature] = []
    if placemarks:
        for index, placemark in enumerate(placemarks, 1):
            name = _child_text(placemark, "name")
            label = f"placemark {index}" + (f" ({name[:60]})" if name else "")
            for element in _children(placemark, _GEOMETRIES):
                features.append(_feature(element, label, source))
    else:
        for index, element in enumerate(_top_geometries(root), 1):
            features.append(_feature(element, f"geometry {index}", source))
    if not features:
        raise RegionError(f"{source} holds no geometry: no Placemark has a Polygon")
    return Parsed(features)


def _parse(data: bytes, source: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line, _ = exc.position
        if "no element found" in str(exc) or "unclosed token" in str(exc):
            raise RegionError(f"{source} ends in the middle of the XML (line {line}); "
                              "it looks truncated") from None
        raise RegionError(f"{source} is not valid KML: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: ElementTree.Element, names: set[str]) -> Iterator[ElementTree.Element]:
    for child in element:
        if _local(child.tag) in names:
            yield child


def _child_text(element: ElementTree.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name and child.text:
            return child.text.strip()
    return ""


def _top_geometries(root: ElementTree.Element) -> Iterator[ElementTree.Element]:
    """Geometries not nested in another geometry, for KML without Placemarks."""
    inside: set[ElementTree.Element] = set()
    for element in root.iter():
        if element in inside:
            continue
        if _local(element.tag) in _GEOMETRIES:
            inside.update(element.iter())
            yield element


def _feature(element: ElementTree.Element, label: str, source: str) -> Feature:
    where = f"{source} {label}"
    open_rings: list[str] = []
    geometry = _geometry(element, where, open_rings)
    return Feature(geometry, label, open_rings[0] if open_rings else None)


def _geometry(element: ElementTree.Element, where: str, open_rings: list[str]) -> BaseGeometry:
    kind = _local(element.tag)
    if kind == "MultiGeometry":
        parts = [_geometry(e, where, open_rings) for e in _children(element, _GEOMETRIES)]
        polygons = [p for p in parts if isinstance(p, Polygon)]
        if polygons and len(polygons) == len(parts):
            return MultiPolygon(polygons)
        return GeometryCollection(parts)
    if kind == "Polygon":
        rings = []
        for boundary in element:
            if _local(boundary.tag) in ("outerBoundaryIs", "innerBoundaryIs"):
                for ring in _children(boundary, {"LinearRing"}):
                    coords = _coordinates(ring, where)
                    if len(coords) >= 2 and not np.array_equal(coords[0], coords[-1]):
                        open_rings.append(
                            f"a ring starts at ({coords[0][0]:g}, {coords[0][1]:g}) "
                            f"but ends at ({coords[-1][0]:g}, {coords[-1][1]:g})"
                        )
                    rings.append((_local(boundary.tag), coords))
        outer = [c for name, c in rings if name == "outerBoundaryIs"]
        if not outer:
            raise RegionError(f"{where} has a Polygon without an outerBoundaryIs ring")
        return _build(lambda: Polygon(outer[0], [c for n, c in rings if n != "outerBoundaryIs"]),
                      where)
    coords = _coordinates(element, where)
    if kind == "Point":
        return _build(lambda: Point(coords[0]), where)
    return _build(lambda: LineString(coords), where)


def _coordinates(element: ElementTree.Element, where: str) -> np.ndarray:
    text = _child_text(element, "coordinates")
    if not text:
        raise RegionError(f"{where} has a {_local(element.tag)} without coordinates")
    tuples = [t.split(",") for t in re.sub(r"\s*,\s*", ",", text).split()]
    widths = {len(t) for t in tuples}
    if not widths <= {2, 3}:
        bad = next(",".join(t) for t in tuples if len(t) not in (2, 3))
        raise RegionError(f"{where} has a coordinate {bad!r}; KML wants lon,lat or lon,lat,alt")
    try:
        if widths == {2}:
            return np.array(tuples, dtype=float)
        return np.array([t[:2] + [t[2] if len(t) == 3 else "0"] for t in tuples], dtype=float)
    except ValueError:
        raise RegionError(f"{where} has coordinates that are not numbers") from None


def _build(make: Callable[[], BaseGeometry], where: str) -> BaseGeometry:
    try:
        return make()
    except (ValueError, IndexError, shapely.errors.ShapelyError) as exc:
        raise RegionError(f"{where} has a malformed geometry: {exc}") from None
