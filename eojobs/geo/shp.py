"""Read ESRI Shapefiles with pyshp: zipped (as the Fusion Platform takes them) or bare.

pyshp gets only in-memory streams, never a path: given a path it would also
fetch URLs and unzip archives itself, and eojobs reads archives through its
own size and name checks.
"""

from __future__ import annotations

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


def read_shapefile(path: Path, source: str) -> Parsed:
    """Read a bare ``.shp`` with its ``.shx``, ``.dbf``, ``.prj`` and ``.cpg`` beside it."""
    siblings = {p.name.lower(): p for p in path.parent.iterdir()} if path.parent.is_dir() else {}
    parts: dict[str, bytes] = {}
    for suffix in _PARTS:
        sibling = siblings.get((path.stem + suffix).lower())
        if sibling is not None and sibling.is_file():
            parts[suffix] = sibling.read_bytes()
    parts[".shp"] = path.read_bytes()
    return _read(parts, source)


def _read(parts: dict[str, bytes], source: str) -> Parsed:
    streams = {s[1:]: io.BytesIO(parts[s]) for s in (".shp", ".shx", ".dbf", ".cpg") if s in parts}
    try:
        with warnings.catch_warnings():
            # pyshp only warns when the header's size disagrees with the file's: it is cut short.
            warnings.simplefilter("error", shapefile.PossiblyCorruptFileHeader)
            reader = shapefile.Reader(**streams)
            records = reader.shapeRecords() if ".dbf" in parts else None
            shapes = [r.shape for r in records] if records is not None else reader.shapes()
    except (shapefile.ShapefileException, shapefile.PossiblyCorruptFileHeader, struct.error,
            ValueError, EOFError) as exc:
        raise RegionError(f"{source} is not a readable shapefile (truncated or damaged?): "
                          f"{exc}") from None
    features: list[Feature] = []
    for index, shp in enumerate(shapes, 1):
        if shp.shapeType == shapefile.NULL:
            continue
        properties = records[index - 1].record.as_dict() if records is not None else None
        label = feature_label(index, properties)
        try:
            features.append(Feature(shape(shp.__geo_interface__), label))
        except Exception as exc:
            raise RegionError(f"{source} {label} has a malformed shape: {exc}") from None
    if not features:
        raise RegionError(f"{source} holds no shapes")
    prj = parts.get(".prj")
    crs = prj.decode("utf-8", "replace").strip() if prj else None
    return Parsed(features, crs=crs or None)
