"""Read ESRI Shapefiles with pyshp: zipped (as the Fusion Platform takes them) or bare.

pyshp gets only in-memory streams, never a path: given a path it would also
fetch URLs and unzip archives itself, and eojobs reads archives through its
own size and name checks.
"""

from __future__ import annotations

import codecs
import io
import struct
import warnings
from pathlib import Path, PurePosixPath

import shapefile
from shapely.geometry import shape

from eojobs.errors import RegionError
from eojobs.geo.features import Feature, Parsed, feature_label

_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def read_zipped_shapefile(members: dict[str, bytes], source: str) -> Parsed:
    """Read the one shapefile among an archive's ``members`` (name to bytes)."""
    shps = [n for n in members if n.lower().endswith(".shp")]
    if len(shps) > 1:
        names = ", ".join(sorted(PurePosixPath(n).name for n in shps))
        raise RegionError(f"{source} holds {len(shps)} shapefiles ({names}); "
                          "zip one region at a time")
    stem = shps[0][: -len(".shp")]
    parts = {
        suffix: data for name, data in members.items()
        for suffix in _PARTS if name.lower() == (stem + suffix).lower()
    }
    return _read(parts, source)


def read_shapefile(path: Path, data: bytes, source: str) -> Parsed:
    """Read a bare ``.shp`` (its bytes, ``data``) with the parts beside it."""
    siblings = {p.name.lower(): p for p in path.parent.iterdir()} if path.parent.is_dir() else {}
    parts: dict[str, bytes] = {}
    for suffix in _PARTS:
        sibling = siblings.get((path.stem + suffix).lower())
        if sibling is not None and sibling.is_file():
            try:
                parts[suffix] = sibling.read_bytes()
            except OSError as exc:
                raise RegionError(f"cannot read {sibling.name}, a part of {source}: "
                                  f"{exc.strerror or exc}") from None
    parts[".shp"] = data
    return _read(parts, source)


def _read(parts: dict[str, bytes], source: str) -> Parsed:
    streams = {s[1:]: io.BytesIO(parts[s]) for s in (".shp", ".shx", ".dbf") if s in parts}
    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            # pyshp only warns when the header's size disagrees with the file's: it is cut short.
            warnings.simplefilter("error", shapefile.PossiblyCorruptFileHeader)
            reader = shapefile.Reader(**streams, encoding=_encoding(parts.get(".cpg")),
                                      encodingErrors="replace")
            shapes = reader.shapes()
            records = [r.as_dict() for r in reader.records()] if ".dbf" in parts else None
    except (shapefile.ShapefileException, shapefile.PossiblyCorruptFileHeader, struct.error,
            ValueError, EOFError) as exc:
        raise RegionError(f"{source} is not a readable shapefile (truncated or damaged?): "
                          f"{exc}") from None
    if records is not None and len(records) != len(shapes):
        notes.append(f"{source}: the .dbf has {len(records)} records for {len(shapes)} shapes; "
                     "read every shape, without names")
        records = None
    features: list[Feature] = []
    for index, shp in enumerate(shapes, 1):
        if shp.shapeType == shapefile.NULL:
            continue
        label = feature_label(index, records[index - 1] if records is not None else None)
        try:
            features.append(Feature(shape(shp.__geo_interface__), label))
        except Exception as exc:
            raise RegionError(f"{source} {label} has a malformed shape: {exc}") from None
    if not features:
        raise RegionError(f"{source} holds no shapes")
    prj = parts.get(".prj")
    crs = prj.decode("utf-8", "replace").strip() if prj else None
    return Parsed(features, crs=crs or None, notes=notes)


_CODE_PAGES = {"ansi 1252": "cp1252", "system": "cp1252", "utf8": "utf-8"}


def _encoding(cpg: bytes | None) -> str:
    """The text encoding a ``.cpg`` names (``UTF-8``, ``1252``, ``ANSI 1252``...), else UTF-8.

    Only feature names are read from the ``.dbf``, so an unknown code page
    costs at most a garbled label, never the region.
    """
    name = (cpg or b"").decode("ascii", "replace").strip().lower()
    name = _CODE_PAGES.get(name, f"cp{name}" if name.isdigit() else name)
    try:
        return codecs.lookup(name).name if name else "utf-8"
    except LookupError:
        return "utf-8"
