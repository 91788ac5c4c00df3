"""Tell what a region file holds from its first bytes, and whether its name agrees."""

from __future__ import annotations

import enum
import re
from pathlib import Path

from eojobs.errors import RegionError


class Kind(str, enum.Enum):
    """A region format, or a known format that cannot be a region."""

    GEOJSON = "GeoJSON"
    KML = "KML"
    ZIP = "a ZIP archive"
    SHP = "an ESRI Shapefile"
    WKT = "WKT"
    WKB = "WKB"
    HEX_WKB = "hex WKB"


#: File suffixes and the kind each promises.
SUFFIXES: dict[str, Kind] = {
    ".geojson": Kind.GEOJSON, ".json": Kind.GEOJSON, ".kml": Kind.KML, ".kmz": Kind.ZIP,
    ".zip": Kind.ZIP, ".shp": Kind.SHP, ".wkt": Kind.WKT, ".wkb": Kind.WKB,
}

_NOT_REGIONS: list[tuple[bytes, str]] = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"II*\x00", "a TIFF raster"),
    (b"MM\x00*", "a TIFF raster"),
    (b"II+\x00", "a BigTIFF raster"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"Rar!", "a RAR archive; unpack it and give the region file"),
    (b"7z\xbc\xaf", "a 7-Zip archive; unpack it and give the region file"),
    (b"SQLite format 3\x00",
     "an SQLite database or GeoPackage; export the layer to GeoJSON or a zipped shapefile"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
]
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_WKT_HEAD = re.compile(
    rb"\s*(SRID=\d+;\s*)?(MULTI)?(POLYGON|POINT|LINESTRING)|\s*GEOMETRYCOLLECTION", re.IGNORECASE
)
_HEX = re.compile(rb"0[01][0-9a-fA-F]{16,}")


def sniff(head: bytes, name: str) -> Kind:
    """The kind of region data ``head`` starts with; RegionError for anything else."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return Kind.ZIP
    if head.startswith(_SHP_MAGIC):
        return Kind.SHP
    for magic, what in _NOT_REGIONS:
        if head.startswith(magic):
            raise RegionError(f"{name} is {what}, not a region file")
    if looks_like_wkb(head):
        return Kind.WKB
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not text:
        raise RegionError(f"{name} is empty")
    if text[:1] in (b"{", b"["):
        return Kind.GEOJSON
    if text[:1] == b"<":
        return Kind.KML
    if _WKT_HEAD.match(text):
        return Kind.WKT
    if _HEX.fullmatch(text[:4096].rstrip()):
        return Kind.HEX_WKB
    if b"\x00" in head:
        raise RegionError(f"{name} is a binary file of an unknown kind, not a region file")
    raise RegionError(
        f"{name} is not a region file: expected GeoJSON, KML, KMZ, a zipped shapefile, "
        "a .shp, WKT or WKB"
    )


def check_name(path: Path, kind: Kind) -> None:
    """Refuse a file whose suffix promises one kind while its bytes hold another."""
    promised = SUFFIXES.get(path.suffix.lower())
    if promised is None or promised is kind or {promised, kind} <= {Kind.WKB, Kind.HEX_WKB}:
        return
    actual = next((s for s, k in SUFFIXES.items() if k is kind), "")
    raise RegionError(
        f"{path.name} is named {path.suffix} but holds {kind.value}; "
        f"rename it to {path.stem}{actual} if that is right, or check you picked the right file"
    )


def looks_like_wkb(head: bytes) -> bool:
    """True when ``head`` starts like (E)WKB: a byte-order mark, then a geometry type."""
    if len(head) < 9 or head[0] not in (0, 1):
        return False
    order = "little" if head[0] == 1 else "big"
    code = int.from_bytes(head[1:5], order)
    base = code & 0x0FFFFFFF  # EWKB keeps Z, M and SRID flags in the high bits
    return base % 1000 in range(1, 8) and base < 4000
