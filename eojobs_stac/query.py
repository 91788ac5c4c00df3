"""A search from a job's options: checked against the collection first, then sent.

The checks (extent, dates, asset keys, filter) raise before any search is
sent. Cloud cover goes to the API as a CQL2 filter or a ``query`` where it
conforms to them; either way each item found is checked here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pystac
from shapely.geometry import box

from eojobs.backend import SearchRequest
from eojobs.errors import OptionError, RegionError, Unsupported
from eojobs.suggest import did_you_mean
from eojobs_stac import mapping

Json = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """A checked search: collection, region, time range, and what to keep of the items."""

    collection: str
    intersects: Json
    start: datetime | None
    end: datetime | None
    limit: int
    max_cloud: float | None
    assets: list[str] | None
    filter: Json | None


def plan(request: SearchRequest, can_filter: bool, api: str) -> Plan:
    """The search ``request`` asks for; InputError (or Unsupported) when it cannot be made."""
    service, options = request.service, request.options
    _check_region(request)
    start, end = options.get("start_date"), options.get("end_date")
    first, last = mapping.metadata_interval(service.metadata)
    if end is not None and first is not None and end < first:
        raise OptionError(f"end_date {_day(end)} is before collection {service.id} starts "
                          f"({_day(first)}): no scene can match")
    if start is not None and last is not None and start > last:
        raise OptionError(f"start_date {_day(start)} is after collection {service.id} ends "
                          f"({_day(last)}): no scene can match")
    return Plan(collection=service.id, intersects=request.region.to_geojson(), start=start,
                end=end, limit=int(options["limit"]),
                max_cloud=options.get("max_cloud"),
                assets=_assets(options.get("assets"), service.metadata, service.id),
                filter=_filter(options.get("filter"), can_filter, api))


def _day(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z").replace("T00:00:00Z", "")


def _check_region(request: SearchRequest) -> None:
    """Refuse a region that does not meet the collection's overall bbox."""
    extent = mapping.spatial_extent(request.service.metadata)
    if extent is None:
        return
    west, south, east, north = extent
    boxes = [box(west, south, east, north)] if west <= east else \
        [box(west, south, 180, north), box(-180, south, east, north)]
    region = request.region
    if not any(region.geometry.intersects(b) for b in boxes):
        bounds = ", ".join(f"{v:g}" for v in region.bounds)
        raise RegionError(f"the region ({bounds}) is outside collection {request.service.id}, "
                          f"which covers {', '.join(f'{v:g}' for v in extent)} "
                          "(west, south, east, north): no scene can match")


def _assets(value: Any, metadata: Json, collection: str) -> list[str] | None:
    if not value:
        return None
    keys = list(dict.fromkeys(k.strip() for k in str(value).split(",") if k.strip()))
    known = list(metadata.get("item_assets") or {})
    for key in keys:
        if known and key not in known:
            raise OptionError(f"collection {collection} has no asset {key!r}"
                              f"{did_you_mean(key, known)}; its assets are: {', '.join(known)}")
    return keys or None


def _filter(value: Any, can_filter: bool, api: str) -> Json | None:
    if not value:
        return None
    try:
        found = json.loads(value)
    except ValueError as exc:
        raise OptionError(f"option 'filter' is not JSON ({exc.msg}); give CQL2-JSON such as "
                          '{"op": "=", "args": [{"property": "platform"}, "sentinel-2a"]}') \
            from None
    if not isinstance(found, dict) or not isinstance(found.get("op"), str):
        raise OptionError("option 'filter' must be a CQL2-JSON expression: an object with an "
                          '"op" and "args", such as {"op": "<", "args": [{"property": '
                          '"eo:cloud_cover"}, 10]}')
    if not can_filter:
        raise Unsupported(f"the STAC API at {api} does not support filters (it does not conform "
                          "to the STAC API filter extension); leave out -o filter")
    return found


def search_arguments(found: Plan, page_size: int, can_filter: bool,
                     can_query: bool) -> Json:
    """The keyword arguments of ``pystac_client.Client.search`` for ``found``."""
    cql: list[Json] = [found.filter] if found.filter else []
    query = None
    if found.max_cloud is not None:
        if can_filter:
            cql.append({"op": "<=", "args": [{"property": "eo:cloud_cover"}, found.max_cloud]})
        elif can_query:
            query = {"eo:cloud_cover": {"lte": found.max_cloud}}
    arguments: Json = {
        "collections": [found.collection], "intersects": found.intersects,
        "limit": max(1, min(page_size, found.limit)),
        # Items are checked here (cloud cover) as well, so only a search that the API
        # filters whole can stop at the limit by itself.
        "max_items": found.limit if found.max_cloud is None or cql or query else None,
    }
    if found.start is not None or found.end is not None:
        arguments["datetime"] = [found.start, found.end]
    if cql:
        arguments["filter"] = cql[0] if len(cql) == 1 else {"op": "and", "args": cql}
        arguments["filter_lang"] = "cql2-json"
    if query:
        arguments["query"] = query
    return arguments


def kept(items: Iterator[pystac.Item], found: Plan,
         passed_over: set[str] | None = None) -> Iterator[tuple[pystac.Item, list[str]]]:
    """Each item that passes the checks, with the keys of its assets to take, up to the limit.

    The asset keys of items left out for having none of the chosen assets are
    added to ``passed_over``, so that a key no item has can be told from no match.
    """
    taken = 0
    for item in items:
        if taken >= found.limit:
            return
        if found.max_cloud is not None:
            cloud = mapping.cloud_cover(item)
            if cloud is None or cloud > found.max_cloud:
                continue
        keys = mapping.chosen_keys(item, found.assets)
        if not keys:
            if passed_over is not None:
                passed_over.update(item.assets)
            continue
        taken += 1
        yield item, keys
