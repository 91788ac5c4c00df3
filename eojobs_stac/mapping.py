"""STAC (pystac objects) to eojobs models: collections as services, items as scenes and assets.

Pure functions; no HTTP here.
"""

from __future__ import annotations

import mimetypes
import posixpath
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

import pystac

from eojobs.models import Asset, DataType, OptionRule, OptionSpec, Service
from eojobs.scenes import Scene
from eojobs.stac_fields import four_numbers, pixel_shape, projection_code

Json = dict[str, Any]

#: The most items one search or job takes, whatever ``limit`` says.
MAX_ITEMS = 10_000
DEFAULT_LIMIT = 100
#: ``order:status`` values (STAC order extension) of an asset that is not online yet.
ORDER_PENDING = frozenset({"orderable", "ordered", "pending", "shipping"})
#: ``storage:tier`` values of an asset kept offline (archive, tape, cold storage).
OFFLINE_TIERS = frozenset({"archive", "offline", "glacier", "deep_archive", "deep-archive",
                           "cold", "tape", "nearline-offline"})
#: The multihash prefix of a sha2-256 digest (code 0x12, length 0x20).
SHA256_MULTIHASH = "1220"


def service(collection: pystac.Collection) -> Service:
    """A collection as a service: its search options, and its extent, summaries and item assets."""
    start, end = temporal_extent(collection)
    since = f" (the collection starts {start:%Y-%m-%d})" if start else ""
    until = f" (the collection ends {end:%Y-%m-%d})" if end else ""
    item_assets = _item_assets(collection)
    keys = f"; this collection's: {', '.join(item_assets)}" if item_assets else ""
    options = [
        OptionSpec(name="start_date", data_type=DataType.DATETIME,
                   description=f"Scenes acquired at or after this time{since}."),
        OptionSpec(name="end_date", data_type=DataType.DATETIME,
                   description=f"Scenes acquired at or before this time{until}."),
        OptionSpec(name="max_cloud", data_type=DataType.NUMBER, minimum=0, maximum=100,
                   unit="%", description="Only scenes with at most this cloud cover "
                                         "(eo:cloud_cover); scenes that state none are left out."),
        OptionSpec(name="limit", data_type=DataType.INTEGER, minimum=1, maximum=MAX_ITEMS,
                   default=DEFAULT_LIMIT, description="The most scenes to take."),
        OptionSpec(name="assets", data_type=DataType.STRING,
                   description=f"Asset keys to download, comma-separated (default: all){keys}."),
        OptionSpec(name="filter", data_type=DataType.STRING,
                   description="A CQL2-JSON filter, for APIs with the filter extension."),
    ]
    summaries = collection.summaries.to_dict() if collection.summaries else {}
    metadata: Json = {"extent": collection.extent.to_dict()}
    if summaries:
        metadata["summaries"] = summaries
    if item_assets:
        metadata["item_assets"] = item_assets
    if collection.license:
        metadata["license"] = collection.license
    summary = collection.title or (collection.description or "").strip().split("\n", 1)[0]
    return Service(id=collection.id, name=collection.id, summary=summary.strip(),
                   keywords=[str(k) for k in collection.keywords or []], options=options,
                   option_rules=[OptionRule(left="start_date", op="<", right="end_date")],
                   metadata=metadata)


def _item_assets(collection: pystac.Collection) -> Json:
    found = collection.extra_fields.get("item_assets")
    return dict(found) if isinstance(found, dict) else {}


def spatial_extent(metadata: Json) -> list[float] | None:
    """The overall bbox ``[west, south, east, north]`` of a service's extent, if it has one."""
    bboxes = ((metadata.get("extent") or {}).get("spatial") or {}).get("bbox")
    if isinstance(bboxes, list) and bboxes and isinstance(bboxes[0], list) \
            and len(bboxes[0]) in (4, 6):
        box = [float(v) for v in bboxes[0]]
        return box[:2] + box[3:5] if len(box) == 6 else box
    return None


def temporal_extent(collection: pystac.Collection) -> tuple[datetime | None, datetime | None]:
    """The start and end of a collection's overall interval; None where it is open."""
    intervals = collection.extent.temporal.intervals
    if not intervals:
        return None, None
    start, end = (intervals[0] + [None, None])[:2]
    return _utc(start), _utc(end)


def metadata_interval(metadata: Json) -> tuple[datetime | None, datetime | None]:
    """:func:`temporal_extent` from a service's ``metadata``."""
    intervals = ((metadata.get("extent") or {}).get("temporal") or {}).get("interval")
    if not isinstance(intervals, list) or not intervals or not isinstance(intervals[0], list):
        return None, None
    first = (intervals[0] + [None, None])[:2]
    return tuple(_utc(pystac.utils.str_to_datetime(v)) if isinstance(v, str) else None
                 for v in first)  # type: ignore[return-value]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def checksum(value: Any) -> str | None:
    """The sha256 hex of a ``file:checksum`` multihash, or None for another hash or none."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text.startswith(SHA256_MULTIHASH) and len(text) == 68 \
            and all(c in "0123456789abcdef" for c in text):
        return text[4:]
    return None


def size(value: Any) -> int | None:
    """A ``file:size`` that is a whole number of bytes, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def offline(item: pystac.Item, asset: pystac.Asset) -> bool:
    """Whether the item says the asset is not online yet (order extension, storage tier)."""
    fields = [asset.extra_fields, item.properties]
    for found in fields:
        status = found.get("order:status")
        if isinstance(status, str) and status.lower() in ORDER_PENDING:
            return True
        tier = found.get("storage:tier")
        if isinstance(tier, str) and tier.lower() in OFFLINE_TIERS:
            return True
    return False


def file_name(key: str, href: str, media_type: str | None) -> str:
    """The name of an asset's file: the last part of its href's path, else key and extension."""
    name = unquote(posixpath.basename(urlsplit(href).path))
    if name and "." in name.strip("."):
        return name
    extension = mimetypes.guess_extension((media_type or "").split(";")[0].strip()) or ""
    return f"{key}{extension}"


def chosen_keys(item: pystac.Item, wanted: list[str] | None) -> list[str]:
    """The keys of the item's assets to take: ``wanted`` ones it has, else every data asset."""
    if wanted:
        return [k for k in wanted if k in item.assets]
    return list(item.assets)


def assets(item: pystac.Item, keys: list[str]) -> list[Asset]:
    """The item's chosen assets, one eojobs Asset each, whose href is the absolute one."""
    out = []
    for key in keys:
        asset = item.assets[key]
        href = asset.get_absolute_href() or asset.href
        extra = asset.extra_fields
        metadata: Json = {"item": item.id, "key": key}
        if asset.title:
            metadata["title"] = asset.title
        projected = {**item.properties, **extra}
        out.append(Asset(name=file_name(key, href, asset.media_type), href=href,
                         execution_id=item.id, component=key,
                         size=size(extra.get("file:size")),
                         checksum=checksum(extra.get("file:checksum")),
                         media_type=asset.media_type or "application/octet-stream",
                         roles=list(asset.roles or []),
                         bbox=four_numbers(item.bbox), crs=projection_code(projected),
                         shape=pixel_shape(projected.get("proj:shape")),
                         metadata=metadata))
    return out


def cloud_cover(item: pystac.Item) -> float | None:
    """The item's ``eo:cloud_cover``, if it states one."""
    value = item.properties.get("eo:cloud_cover")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def scene(item: pystac.Item, keys: list[str], collection_id: str) -> Scene:
    """One found item as a scene, with the chosen assets and their total size where known."""
    sizes = [size(item.assets[k].extra_fields.get("file:size")) for k in keys]
    total = None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)
    moment = item.datetime or _utc(item.common_metadata.start_datetime)
    return Scene(id=item.id, service_id=item.collection_id or collection_id,
                 time=_utc(moment), cloud_cover=cloud_cover(item), assets=keys, size=total,
                 bbox=[float(v) for v in item.bbox] if item.bbox else None,
                 metadata=dict(item.properties))


def document(item: pystac.Item, keys: list[str]) -> Json:
    """The item as JSON with only the chosen assets, each with its absolute href."""
    data = item.to_dict(include_self_link=True, transform_hrefs=False)
    data["assets"] = {k: {**item.assets[k].to_dict(),
                          "href": item.assets[k].get_absolute_href() or item.assets[k].href}
                      for k in keys}
    return data
