"""Region files as people have them: KML, KMZ, shapefiles (zipped or not), projected data."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import shapefile
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from tests.conftest import GLASGOW

WGS84_PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,'
             '298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')


def glasgow() -> BaseGeometry:
    """The Glasgow polygon of the Fusion SDK."""
    data = json.loads(GLASGOW.read_text())
    return shape(data["features"][0]["geometry"] if "features" in data else data)


def bng_prj() -> str:
    """The ESRI WKT of British National Grid (EPSG:27700), from pyproj."""
    from pyproj import CRS

    return CRS.from_epsg(27700).to_wkt("WKT1_ESRI")


def to_bng(geometry: BaseGeometry) -> BaseGeometry:
    """``geometry`` reprojected from lon/lat to British National Grid metres."""
    import numpy as np
    import shapely
    from pyproj import Transformer

    forward = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    return shapely.transform(
        geometry, lambda c: np.column_stack(forward.transform(c[:, 0], c[:, 1])))


KML_NS = "http://www.opengis.net/kml/2.2"


def kml(placemarks: list[tuple[str, str]], namespace: str = KML_NS) -> str:
    """A KML document of ``(name, geometry_xml)`` placemarks."""
    body = "".join(f"<Placemark><name>{name}</name>{geometry}</Placemark>"
                   for name, geometry in placemarks)
    return (f'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="{namespace}">'
            f"<Document>{body}</Document></kml>")


def kml_polygon(geometry: BaseGeometry, z: float | None = None) -> str:
    """A KML <Polygon> for a shapely polygon."""
    def ring(coords: object) -> str:
        tail = "" if z is None else f",{z:g}"
        text = " ".join(f"{x!r},{y!r}{tail}" for x, y in coords)  # type: ignore[attr-defined]
        return f"<LinearRing><coordinates>{text}</coordinates></LinearRing>"

    inner = "".join(f"<innerBoundaryIs>{ring(r.coords)}</innerBoundaryIs>"
                    for r in geometry.interiors)  # type: ignore[attr-defined]
    return (f"<Polygon><outerBoundaryIs>{ring(geometry.exterior.coords)}</outerBoundaryIs>"  # type: ignore[attr-defined]
            f"{inner}</Polygon>")


def zip_files(path: Path, members: dict[str, bytes | str]) -> Path:
    """Write a ZIP archive of ``members`` (name to content)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def write_shapefile(folder: Path, stem: str, geometries: list[BaseGeometry],
                    prj: str | None = WGS84_PRJ, names: list[str] | None = None,
                    upper: bool = False) -> Path:
    """Write ``stem.shp`` with ``.shx``, ``.dbf`` and ``.prj`` into ``folder``; return the .shp."""
    folder.mkdir(parents=True, exist_ok=True)
    kind = geometries[0].geom_type
    shape_type = {"Polygon": shapefile.POLYGON, "MultiPolygon": shapefile.POLYGON,
                  "LineString": shapefile.POLYLINE, "Point": shapefile.POINT}[kind]
    base = folder / stem
    with shapefile.Writer(str(base), shapeType=shape_type) as writer:
        writer.field("name", "C", size=40)
        for index, geometry in enumerate(geometries):
            writer.shape(mapping(geometry))
            writer.record((names or [f"shape {index + 1}"] * len(geometries))[index])
    if prj is not None:
        base.with_suffix(".prj").write_text(prj)
    if upper:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            part = base.with_suffix(suffix)
            if part.exists():
                part.rename(base.with_suffix(suffix.upper()))
        return base.with_suffix(".SHP")
    return base.with_suffix(".shp")


def zip_shapefile(shp: Path, archive: Path, folder: str = "") -> Path:
    """Zip a shapefile's parts, optionally under ``folder/`` inside the archive."""
    members: dict[str, bytes | str] = {}
    for part in shp.parent.iterdir():
        if part.stem == shp.stem:
            members[f"{folder}{part.name}"] = part.read_bytes()
    return zip_files(archive, members)
