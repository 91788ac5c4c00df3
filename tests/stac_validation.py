"""An offline STAC validator for the tests: local schemas only, whatever pystac is installed.

It validates as pystac's default ``JsonSchemaSTACValidator`` does (the core
schema for the object's type and version, then one schema per URL in
``stac_extensions``) but holds every schema locally: the STAC 1.1.0 core and
GeoJSON schemas copied from pystac into ``tests/schemas/core``, and the
extension schemas vendored in ``tests/schemas`` (see its README). It does its
own dispatch rather than pystac's, so it works with a pystac too old to know
STAC 1.1.0 (openeo-driver pins pystac 1.8). Where pystac would download a
schema, this raises ``SchemaNotLocal`` instead, so a test that would need the
network fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.exceptions
import referencing.exceptions
from pystac.errors import STACValidationError
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"
CORE = SCHEMAS / "core"
#: The STAC object a document's ``type`` stands for.
KINDS = {"Feature": "item", "Collection": "collection", "Catalog": "catalog"}


class SchemaNotLocal(AssertionError):
    """A schema the validator would have had to fetch from the network."""


def _by_id(paths: list[Path]) -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(paths):
        schema = json.loads(path.read_text(encoding="utf-8"))
        found[schema["$id"].removesuffix("#")] = schema
    return found


def vendored() -> dict[str, dict[str, Any]]:
    """The vendored extension schemas by their ``$id`` (without an empty ``#`` fragment)."""
    return _by_id([p for p in SCHEMAS.rglob("*.json") if CORE not in p.parents])


def core() -> dict[str, dict[str, Any]]:
    """The STAC core and GeoJSON schemas by the URLs they are published at, as pystac keys them.

    Some ``$id``s in them are wrong (``.../commonjson``), so their paths name them.
    """
    found = {f"https://geojson.org/schema/{p.name}": p for p in (CORE / "geojson").glob("*.json")}
    for path in (CORE / "stac-spec").glob("v*/*.json"):
        version, name = path.parent.name, path.stem
        spec = name if name in ("catalog", "collection") else "item"
        found[f"https://schemas.stacspec.org/{version}/{spec}-spec/json-schema/{path.name}"] = path
    return {url: json.loads(path.read_text(encoding="utf-8")) for url, path in found.items()}


class OfflineValidator:
    """Validates against local schemas and refuses to fetch any other."""

    def __init__(self) -> None:
        self.schemas = {**core(), **vendored()}
        self.registry: Registry = Registry(retrieve=self._refuse).with_resources(
            (uri, Resource.from_contents(schema)) for uri, schema in self.schemas.items())

    @staticmethod
    def _refuse(uri: str) -> Resource:
        raise SchemaNotLocal(f"a schema refers to {uri}, which is not held locally")

    def _validate(self, document: dict[str, Any], uri: str) -> str:
        schema = self.schemas.get(uri)
        if schema is None:
            raise SchemaNotLocal(f"{uri} is not held locally; pystac would download it")
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        try:
            errors = list(cls(schema, registry=self.registry).iter_errors(document))
        except referencing.exceptions.Unresolvable as error:
            raise SchemaNotLocal(f"validating against {uri}: {error}") from error
        if errors:
            best = jsonschema.exceptions.best_match(errors)
            raise STACValidationError(f"{document.get('id')} is invalid against {uri}:\n{best}",
                                      source=errors)
        return uri

    def validate(self, document: dict[str, Any]) -> list[str]:
        """Validate against the core schema, then each extension's; the schema URLs used."""
        kind = KINDS.get(str(document.get("type")))
        version = document.get("stac_version")
        if kind is None or not version:
            raise STACValidationError(f"{document.get('id')} is not a STAC item, collection "
                                      "or catalog with a stac_version")
        core_uri = (f"https://schemas.stacspec.org/v{version}/{kind}-spec/json-schema/"
                    f"{kind}.json")
        checked = [self._validate(document, core_uri)]
        checked += [self._validate(document, ext) for ext in document.get("stac_extensions") or []]
        return checked


VALIDATOR = OfflineValidator()


def validate(document: dict[str, Any]) -> list[str]:
    """Validate a STAC document offline; return the URLs of the schemas it was checked against."""
    return VALIDATOR.validate(document)


def messages(error: STACValidationError) -> list[str]:
    """Every leaf message below a validation error, including inside ``oneOf`` branches."""
    found: list[str] = []
    pending = list(error.source or [])
    while pending:
        current = pending.pop()
        found.append(current.message)
        pending.extend(current.context or [])
    return found
