"""Read a region file of any supported kind, told apart by its bytes, not its name."""

from __future__ import annotations

import re
import warnings
from pathlib import Path, PurePosixPath

import shapely

from eojobs.archives import read_members
from eojobs.errors import InputError, RegionError
from eojobs.geo.features import Feature, Parsed
from eojobs.geo.geojson import read_geojson
from eojobs.geo.kml import read_kml
from eojobs.geo.shp import read_shapefile, read_zipped_shapefile
from eojobs.geo.sniff import Kind, check_name, sniff

#: The largest region file read; real regions are far smaller.
MAX_FILE_BYTES = 512 << 20
#: The most an archive (KMZ, zipped shapefile) may expand to.
MAX_ARCHIVE_BYTES = 512 << 20


_SHAPEFILE_PARTS = (".shx", ".dbf", ".prj", ".cpg")
_EWKT_SRID = re.compile(r"^\s*SRID=(\d+)\s*;", re.IGNORECASE)


def read_path(path: Path) -> Parsed:
    """Read the region file at ``path``; RegionError says what is wrong with it."""
    name = path.name or str(path)
    if path.suffix.lower() in _SHAPEFILE_PARTS:
        raise RegionError(f"{name} is one part of a shapefile; give {path.stem}.shp (with its "
                          "parts beside it), or a zip of all the parts")
    data = _read_bytes(path)
    kind = sniff(data[:4096], name)
    check_name(path, kind)
    if kind is Kind.ZIP:
        return _read_zip(path)
    if kind is Kind.SHP:
        return read_shapefile(path, data, name)
    if kind is Kind.GEOJSON:
        return read_geojson(data, name)
    if kind is Kind.KML:
        return read_kml(data, name)
    if kind is Kind.WKB:
        return geometry_parsed(from_wkb(data, name))
    text = _text(data, name)
    if kind is Kind.WKT:
        return from_wkt(text, name)
    return geometry_parsed(from_wkb(text.strip(), name))


def geometry_parsed(geometry: shapely.Geometry, srid: int = 0) -> Parsed:
    """One unlabelled feature, in the CRS its (E)WKB SRID or ``srid`` names, if any."""
    srid = srid or int(shapely.get_srid(geometry))
    return Parsed([Feature(geometry, "")], crs=f"EPSG:{srid}" if srid else None)


def from_wkt(text: str, source: str) -> Parsed:
    """Parse WKT, or EWKT with its ``SRID=n;`` prefix; RegionError if it cannot be read."""
    match = _EWKT_SRID.match(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            geometry = shapely.from_wkt(text[match.end():] if match else text)
    except shapely.errors.ShapelyError as exc:
        raise RegionError(f"{source} is not valid WKT: {_geos_message(exc)}") from None
    return geometry_parsed(geometry, int(match.group(1)) if match else 0)


def from_wkb(data: bytes | str, source: str) -> shapely.Geometry:
    """Parse binary or hex WKB, or raise RegionError."""
    try:
        return shapely.from_wkb(data)
    except shapely.errors.ShapelyError as exc:
        raise RegionError(f"{source} is not valid WKB: {_geos_message(exc)}") from None


def _geos_message(exc: Exception) -> str:
    text = str(exc).replace("ParseException: ", "").replace("IllegalArgumentException: ", "")
    if "closed linestring" in text:
        return "a ring is not closed (its last point must repeat its first)"
    return text


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise RegionError(f"{path} is a directory, not a region file")
        with path.open("rb") as stream:  # read with a cap: a FIFO or device has no size
            data = stream.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise RegionError(f"{path.name} is more than a region file may be "
                              f"({MAX_FILE_BYTES >> 20} MiB); simplify it first")
        return data
    except FileNotFoundError:
        raise RegionError(f"no such region file: {path}") from None
    except PermissionError:
        raise RegionError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise RegionError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise RegionError(f"{str(path)!r} is not a valid file name") from None


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegionError(f"{name} is not UTF-8 text") from None


def _read_zip(path: Path) -> Parsed:
    name = path.name
    seen: list[str] = []

    def wanted(member: str) -> bool:
        seen.append(member)
        base = PurePosixPath(member).name
        junk = member.startswith("__MACOSX/") or base.startswith("._")
        return not junk and base.lower().endswith((".kml", ".shp", ".shx", ".dbf", ".prj", ".cpg"))

    try:
        members = read_members(path, wanted, max_bytes=MAX_ARCHIVE_BYTES)
    except RegionError:
        raise
    except InputError as exc:
        raise RegionError(str(exc)) from None
    kmls = sorted(m for m in members if m.lower().endswith(".kml"))
    if any(m.lower().endswith(".shp") for m in members):
        if kmls:
            raise RegionError(f"{name} holds both a shapefile and KML ({kmls[0]}); "
                              "zip one region at a time")
        return read_zipped_shapefile(members, name)
    if kmls:
        # A KMZ's main document is doc.kml by convention, else the first at the top.
        main = next((m for m in kmls if m.lower() == "doc.kml"),
                    min(kmls, key=lambda m: (m.count("/"), m)))
        return read_kml(members[main], f"{name}:{main}")
    nested = " (it holds another archive: unpack that first)" if any(
        m.lower().endswith((".zip", ".kmz")) for m in seen) else ""
    raise RegionError(f"{name} holds neither a .kml nor a .shp{nested}; a region archive is a "
                      "KMZ or a zipped shapefile (.shp, .shx, .dbf, .prj)")

