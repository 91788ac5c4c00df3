"""STAC metadata for a job's results: one Item per file and a Collection, for any backend.

Items are built from what every backend reports about an asset (bounds, CRS,
media type, size, execution and component). A backend that supplies a
ready-made item in ``asset.metadata["stac_item"]`` has it used as the base.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eojobs.job import Result
    from eojobs.models import Asset

STAC_VERSION = "1.0.0"
PROJECTION = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
FILE = "https://stac-extensions.github.io/file/v2.1.0/schema.json"
COLLECTION_FILE = "collection.json"
ITEM_SUFFIX = ".stac.json"


def item(result: Result, asset: Asset) -> dict[str, Any]:
    """The STAC Item of one asset; its hrefs are relative to the item file beside the asset."""
    job = result.job
    path = result.relative_path(asset)
    executions = {e.id: e for e in job.executions}
    execution = executions.get(asset.execution_id)
    moment = (execution.ended_at if execution else None) or job.info.ended_at \
        or job.info.created_at or datetime.now(timezone.utc)
    bounds = asset.metadata.get("bounds")
    base = asset.metadata.get("stac_item")
    out: dict[str, Any] = dict(base) if isinstance(base, dict) else {}
    out.update({
        "type": "Feature",
        "stac_version": STAC_VERSION,
        "stac_extensions": sorted({*out.get("stac_extensions", []), FILE, PROJECTION}),
        "id": f"{job.id}/{path.as_posix()}",
        "collection": job.id,
    })
    if bounds and len(bounds) == 4:
        w, s, e, n = (float(v) for v in bounds)
        out["bbox"] = [w, s, e, n]
        out["geometry"] = {"type": "Polygon",
                           "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    else:
        out.setdefault("geometry", None)
    properties = dict(out.get("properties") or {})
    properties.update({
        "datetime": moment.isoformat(),
        "eojobs:service": job.info.service_name,
        "eojobs:execution": asset.execution_id,
        "eojobs:component": asset.component,
    })
    epsg = _epsg(asset.metadata.get("crs"))
    if epsg is not None:
        properties["proj:epsg"] = epsg
    out["properties"] = properties
    data: dict[str, Any] = {"href": f"./{path.name}", "type": asset.media_type,
                            "roles": ["data"]}
    if asset.size is not None:
        data["file:size"] = asset.size
    if asset.checksum:
        data["file:checksum"] = "1220" + asset.checksum
    out["assets"] = {"data": data}
    out["links"] = [{"rel": "collection", "href": _up(path) + COLLECTION_FILE,
                     "type": "application/json"}]
    return out


def collection(result: Result, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The STAC Collection of a job's items."""
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
        "links": [{"rel": "item", "href": f"./{_item_href(i)}", "type": "application/geo+json"}
                  for i in items],
    }


def write(result: Result, directory: Path) -> list[Path]:
    """Write an item beside each file and ``collection.json`` at the top; return the paths."""
    items = [item(result, a) for a in result.assets]
    written = []
    for asset, entry in zip(result.assets, items, strict=True):
        path = directory / (result.relative_path(asset).as_posix() + ITEM_SUFFIX)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry, indent=2), encoding="utf-8")
        written.append(path)
    top = directory / COLLECTION_FILE
    top.write_text(json.dumps(collection(result, items), indent=2), encoding="utf-8")
    return [*written, top]


def _item_href(entry: dict[str, Any]) -> str:
    return entry["id"].split("/", 1)[1] + ITEM_SUFFIX


def _up(path: Path) -> str:
    return "../" * (len(path.parts) - 1) or "./"


def _epsg(crs: Any) -> int | None:
    text = str(crs or "")
    if text.upper().startswith("EPSG:") and text[5:].isdigit():
        return int(text[5:])
    return None
