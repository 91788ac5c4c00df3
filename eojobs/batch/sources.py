"""Rows of a campaign from files: a FeatureCollection, a folder of region files, or a CSV.

Every row gets a key, unique in the campaign, that names its download folder
and tags its job on the backend. Every row is read and checked before any is
returned: a bad one raises an InputError naming it, and nothing is kept.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from eojobs.batch.records import NewRow
from eojobs.errors import EOJobsError, InputError

#: What a row key may hold: it names a folder and goes in a job's name.
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
#: Columns (or properties) that give a row its key, first found wins.
KEY_COLUMNS = ("key", "id", "name")
#: CSV columns holding a geometry as WKT.
WKT_COLUMNS = ("wkt", "geometry", "geom")
#: The CSV column holding a bbox, ``west,south,east,north``.
BBOX_COLUMN = "bbox"
#: The column (or property) that runs a row on another backend than the campaign's.
BACKEND_COLUMN = "backend"
#: Region files a folder's rows are read from: every kind a region file may be (see
#: :data:`eojobs.geo.sniff.SUFFIXES`, KMZ and zipped shapefiles too), and GeoPackages, which
#: are refused with the way out rather than skipped unseen.
REGION_SUFFIXES = (".geojson", ".json", ".kml", ".kmz", ".zip", ".shp", ".wkt", ".wkb",
                   ".gpkg")


def read_rows(path: str | Path) -> list[NewRow]:
    """The rows of ``path``: a GeoJSON file, a folder of region files, or a CSV file.

    A FeatureCollection gives one row per feature, keyed by its ``key``,
    ``id`` or ``name`` property (else its id, else ``feature-N``). A folder
    gives one row per region file, keyed by the file's name without suffix.
    A CSV gives one row per line, with a ``wkt`` (or ``geometry``) or a
    ``bbox`` column, a ``key``, ``id`` or ``name`` column (else ``row-N``),
    and any other column as an option of that row (empty cells are left out).
    A ``backend`` property or column runs that row on another backend.
    """
    source = Path(path).expanduser()
    if not source.exists():
        raise InputError(f"no such file or folder: {source}")
    if source.is_dir():
        rows = _folder_rows(source)
    elif source.suffix.lower() == ".csv":
        rows = _csv_rows(source)
    else:
        rows = _geojson_rows(source)
    if not rows:
        raise InputError(f"{source} holds no regions")
    check_keys(rows, str(source))
    return rows


def check_keys(rows: Iterable[NewRow], source: str) -> None:
    """InputError for a key that is not a safe folder name, or one given twice."""
    seen: set[str] = set()
    for row in rows:
        if not KEY_PATTERN.fullmatch(row.key):
            raise InputError(f"{source}: row key {row.key!r} is not usable: a key is 1 to 80 "
                             "letters, digits, '.', '_' or '-', starting with a letter or digit")
        if row.key in seen:
            raise InputError(f"{source}: row key {row.key!r} is given twice; keys must be unique")
        seen.add(row.key)


def _region(value: Any, where: str) -> dict[str, Any]:
    """The GeoJSON geometry of a valid region read from ``value``; InputError naming ``where``."""
    from eojobs.region import Region

    try:
        return Region.parse(value).to_geojson()
    except EOJobsError as exc:
        raise InputError(f"{where}: {exc}") from None


def _folder_rows(folder: Path) -> list[NewRow]:
    from eojobs.region import Region

    rows = []
    for file in sorted(p for p in folder.iterdir() if p.suffix.lower() in REGION_SUFFIXES):
        try:
            region = Region.from_file(file).to_geojson()
        except EOJobsError as exc:
            raise InputError(f"{file}: {exc}") from None
        rows.append(NewRow(key=file.stem, region=region))
    return rows


def _geojson_rows(file: Path) -> list[NewRow]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{file} is not a GeoJSON file: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{file} is not a GeoJSON object")
    kind = data.get("type")
    if kind == "Feature":
        features = [data]
    elif kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise InputError(f"{file}: the FeatureCollection has no list of features")
    else:
        return [NewRow(key=file.stem, region=_region(data, str(file)))]
    rows = []
    for number, feature in enumerate(features, 1):
        default = file.stem if kind == "Feature" else f"feature-{number}"
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        key = _key(props, feature.get("id") if isinstance(feature, dict) else None,
                   default)
        where = f"{file}: feature {number} (key {key!r})"
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not geometry:
            raise InputError(f"{where} has no geometry")
        rows.append(NewRow(key=key, region=_region(geometry, where),
                           backend=_text(props.get(BACKEND_COLUMN))))
    return rows


def _csv_rows(file: Path) -> list[NewRow]:
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            lines = [{(k or "").strip(): v for k, v in line.items()} for line in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{file} is not a CSV file: {exc}") from None
    lowered = {c.lower(): c for c in columns}
    wkt = next((lowered[c] for c in WKT_COLUMNS if c in lowered), None)
    bbox = lowered.get(BBOX_COLUMN)
    if wkt is None and bbox is None:
        raise InputError(f"{file} has no geometry column: add a 'wkt' column of WKT geometries "
                         f"or a 'bbox' column of west,south,east,north (columns: "
                         f"{', '.join(columns) or 'none'})")
    key_column = next((lowered[c] for c in KEY_COLUMNS if c in lowered), None)
    backend = lowered.get(BACKEND_COLUMN)
    special = {wkt, bbox, key_column, backend}
    rows = []
    for number, line in enumerate(lines, 1):
        if None in line:
            raise InputError(f"{file}: row {number} has more cells than the header has columns")
        key = _text(line.get(key_column)) if key_column else None
        key = key or f"row-{number}"
        where = f"{file}: row {number} (key {key!r})"
        shape = _text(line.get(wkt)) if wkt else None
        box = _text(line.get(bbox)) if bbox else None
        if not shape and not box:
            raise InputError(f"{where} has no geometry")
        region = _region(shape, where) if shape else _region(_bbox(box or "", where), where)
        options = {c: v for c, v in line.items() if c not in special and _text(v)}
        rows.append(NewRow(key=key, region=region, options=options,
                           backend=_text(line.get(backend)) if backend else None))
    return rows


def _bbox(text: str, where: str) -> tuple[float, ...]:
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        box = tuple(float(p) for p in parts)
    except ValueError:
        box = ()
    if len(box) != 4:
        raise InputError(f"{where}: bbox {text!r} is not four numbers west,south,east,north")
    return box


def _key(props: dict[str, Any], feature_id: Any, default: str) -> str:
    for name in KEY_COLUMNS:
        if props.get(name) not in (None, ""):
            return str(props[name]).strip()
    if feature_id not in (None, ""):
        return str(feature_id).strip()
    return default


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None
