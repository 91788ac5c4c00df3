"""STAC metadata for a job's results: one Item per file and a Collection, for any backend.

Items are built from what every backend reports about an asset (bounds, CRS,
media type, size, execution and component). A backend that supplies a
ready-made item in ``asset.stac_item`` has it used as the base.

Items and the Collection are STAC 1.1.0. An item's assets carry the standard
File extension's ``file:size`` and ``file:checksum`` (a sha2-256 multihash)
where the backend reports them, and the Projection extension's ``proj:code``,
``proj:bbox`` and ``proj:shape`` where the file's CRS, bounds and pixel grid
are known; an item lists in ``stac_extensions`` exactly the extensions whose
fields it uses. An item has a geometry wherever its file covers a known area:
a raster's bounds, a vector file's features, or else the job's region; a
raster's PNG preview is also its ``thumbnail`` asset.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eojobs.job import Result
    from eojobs.models import Asset

STAC_VERSION = "1.1.0"
FILE_EXTENSION = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
"""The File extension: ``file:size`` and ``file:checksum`` on assets."""
PROJECTION_EXTENSION = "https://stac-extensions.github.io/projection/v2.0.0/schema.json"
"""The Projection extension: ``proj:code``, ``proj:bbox`` and ``proj:shape`` on assets."""
SHA2_256 = "1220"
"""The multihash prefix of a sha2-256 digest: the function code 0x12, then the length 0x20."""
_EXTENSIONS = {"file": FILE_EXTENSION, "proj": PROJECTION_EXTENSION}
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_CRS_CODE = re.compile(r"(?:urn:ogc:def:crs:)?([a-z]+):+(?:[0-9.]*:)?([a-z0-9]+)", re.IGNORECASE)
REGION_TYPES = ("application/geo+json", "text/csv")
"""Media types of outputs that describe the region itself (a footprint, its statistics)."""
COLLECTION_FILE = "collection.json"
ITEM_SUFFIX = ".stac.json"


def item(result: Result, asset: Asset, directory: Path | None = None) -> dict[str, Any]:
    """The STAC Item of one asset; its hrefs are relative to the item file beside the asset.

    ``directory`` is where the files were downloaded: a vector file found there
    gives its item the geometry of its features.
    """
    job = result.job
    path = result.relative_path(asset)
    executions = {e.id: e for e in job.executions}
    execution = executions.get(asset.execution_id)
    moment = (execution.ended_at if execution else None) or job.info.ended_at \
        or job.info.created_at or datetime.now(timezone.utc)
    out: dict[str, Any] = dict(asset.stac_item) if asset.stac_item else {}
    base_extensions = out.get("stac_extensions")
    out.update({
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": [],
        "id": item_id(result, asset),
        "collection": job.id,
    })
    geometry = _geometry(result, asset, directory)
    if geometry is not None:
        out["geometry"] = geometry
        out["bbox"] = _bbox(geometry)
    else:
        out["geometry"] = None
        out.pop("bbox", None)
    properties = {k: v for k, v in (out.get("properties") or {}).items()
                  if _prefix(k) not in _EXTENSIONS}
    properties.update({
        "datetime": moment.isoformat(),
        "eojobs:service": job.info.service_name,
        "eojobs:execution": asset.execution_id,
        "eojobs:component": asset.component,
    })
    out["properties"] = properties
    assets: dict[str, Any] = {"data": {"href": f"./{path.name}", "type": asset.media_type,
                                       "roles": asset.roles or ["data"], **file_fields(asset),
                                       **projection_fields(asset)}}
    preview = preview_of(result, asset)
    if preview is not None:
        assets["thumbnail"] = {"href": _relative(path, result.relative_path(preview)),
                               "type": preview.media_type, "roles": ["thumbnail"],
                               **file_fields(preview)}
    out["assets"] = assets
    out["stac_extensions"] = _extensions(base_extensions, assets)
    out["links"] = [{"rel": "collection", "href": _up(path) + COLLECTION_FILE,
                     "type": "application/json"}]
    return out


def file_fields(asset: Asset) -> dict[str, Any]:
    """The File extension's fields of an asset: its size and its checksum, where known.

    ``file:checksum`` is a multihash: ``1220`` (sha2-256, 32 bytes) and the
    lower-case hex digest. A checksum that is not a sha256 digest is left out.
    """
    fields: dict[str, Any] = {}
    if asset.size is not None:
        fields["file:size"] = asset.size
    if asset.checksum and _SHA256_HEX.fullmatch(asset.checksum):
        fields["file:checksum"] = SHA2_256 + asset.checksum.lower()
    return fields


def projection_fields(asset: Asset) -> dict[str, Any]:
    """The Projection extension's fields of an asset, where its metadata gives them.

    ``proj:code`` comes from a CRS given as ``AUTHORITY:CODE`` (or an EPSG number
    or an OGC URN); ``proj:bbox`` from the bounds, which eojobs keeps in
    longitude and latitude, so only when the CRS is EPSG:4326 itself;
    ``proj:shape`` (rows, columns) from a raster's height and width.
    """
    fields: dict[str, Any] = {}
    code = crs_code(asset.crs)
    if code is None:
        return fields
    fields["proj:code"] = code
    if code == "EPSG:4326" and asset.bbox is not None:
        fields["proj:bbox"] = list(asset.bbox)
    if asset.shape is not None and all(n > 0 for n in asset.shape):
        fields["proj:shape"] = list(asset.shape)
    return fields


def crs_code(crs: object) -> str | None:
    """A CRS as the Projection extension's ``AUTHORITY:CODE``, or None if it is not one.

    >>> crs_code("epsg:32630"), crs_code(4326), crs_code("urn:ogc:def:crs:EPSG::27700")
    ('EPSG:32630', 'EPSG:4326', 'EPSG:27700')
    >>> crs_code("OGC:CRS84"), crs_code("+proj=longlat +datum=WGS84")
    ('OGC:CRS84', None)
    """
    if isinstance(crs, int) and not isinstance(crs, bool) and crs > 0:
        return f"EPSG:{crs}"
    if not isinstance(crs, str):
        return None
    found = _CRS_CODE.fullmatch(crs.strip())
    return f"{found[1].upper()}:{found[2]}" if found else None


def item_id(result: Result, asset: Asset) -> str:
    """An item's id: the job's id and the file's place below the download, without ``/``."""
    return f"{result.job.id}-" + "-".join(result.relative_path(asset).parts)


def collection(result: Result, items: list[dict[str, Any]],
               assets: list[Asset] | None = None) -> dict[str, Any]:
    """The STAC Collection of a job's items, linking those of ``assets`` (default: all)."""
    job = result.job
    boxes = [i["bbox"] for i in items if i.get("bbox")]
    spatial = [[min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes)]] if boxes else [[-180, -90,
                                                                                     180, 90]]
    times = sorted(i["properties"]["datetime"] for i in items)
    return {
        "type": "Collection",
        "stac_version": STAC_VERSION,
        "id": job.id,
        "title": job.name,
        "description": f"Outputs of {job.info.service_name} job {job.name} ({job.id})",
        "license": "proprietary",
        "extent": {"spatial": {"bbox": spatial},
                   "temporal": {"interval": [[times[0], times[-1]] if times else [None, None]]}},
        "links": [{"rel": "item", "href": f"./{_item_href(result, a)}",
                   "type": "application/geo+json"}
                  for a in (result.assets if assets is None else assets)],
    }


def write(result: Result, directory: Path) -> list[Path]:
    """Write an item beside each file and ``collection.json`` at the top; return the paths.

    A file whose name was unsafe to write gets none.
    """
    from eojobs.naming import UnsafeName

    present = []
    for asset in result.assets:
        try:
            result.relative_path(asset)
        except UnsafeName:
            continue
        present.append(asset)
    items = [item(result, a, directory) for a in present]
    written = []
    for asset, entry in zip(present, items, strict=True):
        path = directory / (result.relative_path(asset).as_posix() + ITEM_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry, indent=2), encoding="utf-8")
        written.append(path)
    top = directory / COLLECTION_FILE
    top.write_text(json.dumps(collection(result, items, present), indent=2), encoding="utf-8")
    return [*written, top]


def _prefix(name: str) -> str:
    return name.split(":", 1)[0] if ":" in name else ""


def _extensions(base: object, assets: dict[str, Any]) -> list[str]:
    """The base item's extensions other than File and Projection, then those the assets use.

    A base item's own File or Projection fields were dropped with its assets and
    properties, so its (possibly older) versions of those extensions go too.
    """
    # Any version's URL of an extension of ours: ".../file/v1.0.0/schema.json".
    families = tuple(url.rsplit("/", 2)[0] + "/" for url in _EXTENSIONS.values())
    kept = [e for e in base if isinstance(e, str) and not e.startswith(families)] \
        if isinstance(base, list) else []
    used = {_prefix(k) for fields in assets.values() for k in fields}
    return [*dict.fromkeys(kept), *(url for prefix, url in _EXTENSIONS.items() if prefix in used)]


def _item_href(result: Result, asset: Asset) -> str:
    return result.relative_path(asset).as_posix() + ITEM_SUFFIX


def _up(path: Path) -> str:
    return "../" * (len(path.parts) - 1) or "./"


def _relative(source: Path, target: Path) -> str:
    """``target``'s href from the folder of ``source`` (both below the download)."""
    return _up(source) + target.as_posix() if len(source.parts) > 1 else f"./{target.as_posix()}"


def _siblings(result: Result, asset: Asset) -> list[Asset]:
    return [a for a in result.assets if a.execution_id == asset.execution_id and a is not asset]


def preview_of(result: Result, asset: Asset) -> Asset | None:
    """The sibling asset that previews ``asset``, named by its ``preview``."""
    if not asset.preview:
        return None
    return next((a for a in _siblings(result, asset) if a.name == asset.preview), None)


def _previewed(result: Result, asset: Asset) -> Asset | None:
    """The raster whose preview this asset is, if any."""
    return next((a for a in _siblings(result, asset) if preview_of(result, a) is asset), None)


def _geometry(result: Result, asset: Asset, directory: Path | None) -> dict[str, Any] | None:
    """The area a file covers, as a GeoJSON geometry, or None when it covers none we know."""
    previewed = _previewed(result, asset)
    if previewed is not None:
        asset = previewed
    if asset.bbox is not None:
        w, s, e, n = asset.bbox
        return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    if asset.media_type not in REGION_TYPES:
        return None
    found = _features(directory / result.relative_path(asset)) if directory else None
    return found if found is not None else result.job.region().to_geojson()


def _features(path: Path) -> dict[str, Any] | None:
    """The union of a GeoJSON file's geometries, or None if it is absent or holds none."""
    from shapely.errors import ShapelyError
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    features = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    shapes = []
    for feature in features if isinstance(features, list) else []:
        if not isinstance(feature, dict):
            continue
        geometry = feature.get("geometry") if feature.get("type") == "Feature" else feature
        try:
            shapes.append(shape(geometry))
        except (AttributeError, TypeError, ValueError, KeyError, IndexError, ShapelyError):
            continue
    shapes = [g for g in shapes if not g.is_empty]
    try:
        return dict(mapping(unary_union(shapes))) if shapes else None
    except ShapelyError:  # geometries GEOS cannot combine, such as self-intersecting ones
        return None


def _bbox(geometry: dict[str, Any]) -> list[float]:
    from shapely.geometry import shape

    w, s, e, n = shape(geometry).bounds
    return [w, s, e, n]
