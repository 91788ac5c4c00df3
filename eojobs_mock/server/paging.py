"""Collections: ``limit``, ``reverse``, ``last[...]`` paging, ``filter[...]`` and ``search``.

Pages work like the store behind the real API: a page scans ``limit`` items
in order, then applies filters and search, so a page may be short or even
empty while ``last`` says there is more. ``last`` is left out on the final page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from werkzeug.datastructures import MultiDict

from eojobs_mock.server.errors import bad_request

MAX_LIMIT = 100
_FILTER_KEY = re.compile(r"^filter\[(?P<field>[a-z0-9_]+?)__(?P<modifier>[a-z_]+)\]$")
_LAST_KEY = re.compile(r"^last\[(?P<key>[A-Za-z0-9_]+)\]$")
MODIFIERS = frozenset({"eq", "ne", "le", "lt", "ge", "gt", "begins_with", "contains",
                       "not_contains", "null", "not_null", "in", "between"})
_BOOLEAN = {"True": True, "False": False}
T = TypeVar("T")


@dataclass(frozen=True)
class Filter:
    """One ``filter[field__modifier]=value`` (``in`` and ``between`` repeat the key)."""

    field: str
    modifier: str
    values: tuple[str, ...]

    def accepts(self, item: dict[str, Any]) -> bool:
        """True if the item passes this filter."""
        value = item.get(self.field)
        if self.modifier in ("null", "not_null"):
            return (value is None) == (self.modifier == "null")
        if value is None:
            return self.modifier in ("ne", "not_contains")
        first = self.values[0]
        if self.modifier == "contains":
            return _contains(value, first)
        if self.modifier == "not_contains":
            return not _contains(value, first)
        if self.modifier == "begins_with":
            return str(value).startswith(first)
        if self.modifier == "in":
            return str(value) in self.values
        if self.modifier == "between":
            return _compare(value, self.values[0]) >= 0 and _compare(value, self.values[1]) <= 0
        order = _compare(value, first)
        return {"eq": order == 0, "ne": order != 0, "lt": order < 0, "le": order <= 0,
                "gt": order > 0, "ge": order >= 0}[self.modifier]


@dataclass(frozen=True)
class ListQuery:
    """What a collection request asks for."""

    limit: int
    reverse: bool
    search: str | None
    filters: tuple[Filter, ...]
    after: str | None


def list_query(args: MultiDict[str, str], filterable: Iterable[str]) -> ListQuery:
    """Read the paging, filter and search parameters; 400 on anything malformed."""
    allowed = frozenset(filterable)
    limit_text = args.get("limit", "24")
    if not limit_text.isdigit() or int(limit_text) < 1:
        raise bad_request(f"limit must be a positive integer, got {limit_text!r}")
    reverse_text = args.get("reverse", "False")
    if reverse_text not in _BOOLEAN:
        raise bad_request(f"reverse must be True or False, got {reverse_text!r}")
    filters = []
    last: dict[str, str] = {}
    for key in args:
        if key.startswith("filter"):
            filters.append(_filter(key, args.getlist(key), allowed))
        elif key.startswith("last"):
            match = _LAST_KEY.match(key)
            if match is None:
                raise bad_request(f"malformed paging key {key!r}: expected last[key]")
            last[match["key"]] = args[key]
        elif key not in ("limit", "reverse", "search"):
            raise bad_request(f"unknown query parameter {key!r}")
    if last and "position" not in last:
        raise bad_request("last[position] is missing: send back every key of the previous last")
    search = args.get("search") or None
    return ListQuery(min(int(limit_text), MAX_LIMIT), _BOOLEAN[reverse_text],
                     search.lower() if search else None, tuple(filters), last.get("position"))


def list_page(items: Sequence[tuple[str, dict[str, Any]]], query: ListQuery,
              search_fields: Sequence[str]) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """One page of ``(position, item)`` pairs: the matching items and the next ``last``."""
    return built_page(items, lambda item: item, query, search_fields)


def built_page(entries: Sequence[tuple[str, T]], build: Callable[[T], dict[str, Any]],
               query: ListQuery, search_fields: Sequence[str],
               ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """:func:`list_page` of ``(position, entry)`` pairs, building only the items it scans.

    For a long collection whose items are dear to build (a process, a data
    item with its files): a page costs ``limit`` items, not the collection.
    """
    ordered = sorted(entries, key=lambda pair: pair[0], reverse=query.reverse)
    if query.after is not None:
        after = query.after
        ordered = [p for p in ordered if (p[0] < after if query.reverse else p[0] > after)]
    scanned = [(position, build(entry)) for position, entry in ordered[: query.limit]]
    matched = [item for _, item in scanned
               if all(f.accepts(item) for f in query.filters)
               and _found(item, query.search, search_fields)]
    more = len(ordered) > query.limit
    last = {"id": str(scanned[-1][1].get("id")), "position": scanned[-1][0]} if more else None
    return matched, last


def page_body(matched: list[dict[str, Any]], last: dict[str, str] | None,
              extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``{"list": ..., "last": ...}`` envelope of a page (model nulls dropped)."""
    body: dict[str, Any] = {
        "list": [{k: v for k, v in item.items() if v is not None} for item in matched]
    }
    if last is not None:
        body["last"] = last
    if extras is not None:
        body["extras"] = extras
    return body


def _filter(key: str, values: list[str], allowed: frozenset[str]) -> Filter:
    match = _FILTER_KEY.match(key)
    if match is None:
        raise bad_request(f"malformed filter {key!r}: expected filter[field__modifier]")
    field, modifier = match["field"], match["modifier"]
    if modifier not in MODIFIERS:
        raise bad_request(f"unknown filter modifier {modifier!r} in {key!r}; "
                          f"use one of {', '.join(sorted(MODIFIERS))}")
    if field not in allowed:
        raise bad_request(f"cannot filter on {field!r} here; filter on one of "
                          f"{', '.join(sorted(allowed))}")
    if modifier == "between" and len(values) != 2:
        raise bad_request(f"{key} needs two values (repeat the key)")
    return Filter(field, modifier, tuple(values))


def _contains(value: Any, part: str) -> bool:
    if isinstance(value, list):
        return part in [str(v) for v in value]
    return part in str(value)


def _compare(value: Any, text: str) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            other = float(text)
        except ValueError:
            pass
        else:
            return (value > other) - (value < other)
    mine = str(value).lower() if isinstance(value, bool) else str(value)
    return (mine > text) - (mine < text)


def _found(item: dict[str, Any], term: str | None, fields: Sequence[str]) -> bool:
    if term is None:
        return True
    for field in fields:
        value = item.get(field)
        texts = value if isinstance(value, list) else [value]
        if any(term in str(t).lower() for t in texts if t is not None):
            return True
    return False
