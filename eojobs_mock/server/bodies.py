"""The two request body styles: flat ``Model[field]`` keys, and a nested ``{"Model": {...}}``."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request

from eojobs_mock.server.errors import bad_request

_FLAT_KEY = re.compile(r"^(?P<model>[A-Za-z]+)\[(?P<field>[A-Za-z0-9_]+)\]$")


def json_body(request: Request) -> Any:
    """The request body parsed as JSON; 400 if it is missing or not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise bad_request("the request needs a JSON body")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("the request body is not valid JSON") from None


def flat_fields(request: Request, model: str) -> dict[str, Any]:
    """The fields of a create or update body such as ``{"Data[name]": "x"}``, by field name."""
    body = json_body(request)
    if not isinstance(body, dict) or not body:
        raise bad_request(f'the body must be a JSON object of "{model}[field]" keys')
    fields: dict[str, Any] = {}
    for key, value in body.items():
        match = _FLAT_KEY.match(key)
        if match is None or match["model"] != model:
            raise bad_request(f'unexpected key {key!r}: expected keys such as "{model}[name]"')
        fields[match["field"]] = value
    return fields


def nested_fields(request: Request, model: str) -> dict[str, Any]:
    """The object of an action body such as ``{"Data": {"name": "x"}}``."""
    body = json_body(request)
    inner = body.get(model) if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise bad_request(f'the body must be {{"{model}": {{...}}}}')
    return inner
