"""Coordinate reference systems: recognise lon/lat, and reproject the rest with pyproj.

pyproj is an optional extra (``pip install 'eojobs[proj]'``). Without it,
lon/lat inputs work as before and a projected input gets an error that names
its CRS and how to get pyproj.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from eojobs.errors import RegionError

_LONLAT_NAMES = ("CRS84", "CRS:84", "EPSG::4326", "EPSG:4326", "OGC:1.3:CRS84")
_WKT_NAME = re.compile(r'^\s*(PROJCS|PROJCRS|GEOGCS|GEOGCRS|GEODCRS)\s*\[\s*"([^"]*)"', re.I)
_URN_EPSG = re.compile(r"EPSG:(?:[\d.]*:)?(\d+)$", re.I)


def geojson_crs(data: dict[str, Any]) -> str | None:
    """The CRS a legacy GeoJSON ``crs`` member names, or None when it names none."""
    crs = data.get("crs")
    if not isinstance(crs, dict):
        return None
    properties = crs.get("properties")
    if not isinstance(properties, dict):
        return None
    if crs.get("type") == "EPSG" and properties.get("code") is not None:
        return f"EPSG:{properties['code']}"
    name = properties.get("name")
    text = str(name).strip() if name is not None else ""
    return text or None


def describe(crs: str) -> str:
    """A short human name: ``EPSG:27700`` for a URN, the name inside a WKT."""
    match = _URN_EPSG.search(crs.strip())
    if match:
        return f"EPSG:{match.group(1)}"
    match = _WKT_NAME.match(crs)
    if match:
        return match.group(2).replace("_", " ")
    return crs.strip()[:80]


def is_lonlat(crs: str | None) -> bool:
    """True when ``crs`` is plainly WGS84 longitude/latitude (or absent)."""
    if crs is None:
        return True
    text = crs.strip().upper()
    if text.endswith(_LONLAT_NAMES) or text in ("WGS84", "WGS 84"):
        return True
    match = _WKT_NAME.match(crs)
    if match and match.group(1).upper().startswith("GEOG"):
        name = match.group(2).upper().replace("_", " ")
        return name in ("GCS WGS 1984", "WGS 84", "WGS84")
    return False


def is_geographic(crs: str) -> bool:
    """True when ``crs`` is a WKT of some lon/lat system (WGS84, ETRS89, NAD83, ...)."""
    match = _WKT_NAME.match(crs)
    return bool(match and match.group(1).upper().startswith("GEOG"))


def same(a: str, b: str) -> bool:
    """Whether two CRS texts name the same system (pyproj decides when it is installed)."""
    if describe(a) == describe(b) or (is_lonlat(a) and is_lonlat(b)):
        return True
    try:
        from pyproj import CRS
        from pyproj.exceptions import CRSError
    except ImportError:
        return False
    try:
        return bool(CRS.from_user_input(a).equals(CRS.from_user_input(b),
                                                  ignore_axis_order=True))
    except CRSError:
        return False


def to_lonlat(geometry: BaseGeometry, crs: str, label: str, given: bool = False) -> BaseGeometry:
    """Reproject ``geometry`` from ``crs`` to WGS84 lon/lat with pyproj.

    ``given`` says the user named the CRS (rather than the file), for messages.
    """
    try:
        from pyproj import CRS, Transformer
        from pyproj.exceptions import CRSError
    except ImportError:
        raise RegionError(
            f"{label} is in {describe(crs)}, not lon/lat WGS84; install pyproj to reproject it "
            "(pip install 'eojobs[proj]'), or reproject it to EPSG:4326 first "
            "(ogr2ogr -t_srs EPSG:4326, or QGIS)"
        ) from None
    try:
        source = CRS.from_user_input(crs)
    except CRSError:
        if given:
            raise RegionError(f"the CRS given for {label} is not one pyproj knows: "
                              f"{describe(crs)!r}; give one such as EPSG:27700") from None
        raise RegionError(f"{label} names a CRS pyproj does not know: {describe(crs)}") from None
    coords = shapely.get_coordinates(geometry)
    if source.is_projected and (np.abs(coords[:, 0]) <= 180).all() and (
            np.abs(coords[:, 1]) <= 90).all():
        whose = "the CRS given" if given else "the CRS it names"
        raise RegionError(
            f"{label} has coordinates that look like lon/lat degrees (e.g. {coords[0][0]:g}, "
            f"{coords[0][1]:g}), not the metres of {describe(crs)}, {whose}; "
            + ("drop the CRS option" if given else "check the file's CRS")
        )
    transformer = Transformer.from_crs(source, "EPSG:4326", always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    projected = shapely.transform(geometry, project)
    if not np.isfinite(shapely.get_coordinates(projected)).all():
        raise RegionError(
            f"{label} does not fit {describe(crs)}: some points cannot be reprojected; "
            "check the CRS the file names"
        )
    return projected
