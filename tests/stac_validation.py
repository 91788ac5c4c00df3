"""An offline STAC validator for the tests: pystac's dispatch, local schemas only.

It validates like pystac's default ``JsonSchemaSTACValidator`` (the core
schema for the object's type and version, then one schema per URL in
``stac_extensions``) but holds every schema locally: the STAC 1.1.0 core and
GeoJSON schemas that ship in pystac, and the extension schemas vendored in
``tests/schemas`` (see its README). Where pystac would download a schema, this
raises ``SchemaNotLocal`` instead, so a test that would need the network fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema.exceptions
import pystac.validation
import referencing.exceptions
from pystac.errors import STACValidationError
from pystac.stac_object import STACObjectType
from pystac.validation.local_validator import get_local_schema_cache
from pystac.validation.schema_uri_map import DefaultSchemaUriMap
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas"


class SchemaNotLocal(AssertionError):
    """A schema the validator would have had to fetch from the network."""


def vendored() -> dict[str, dict[str, Any]]:
    """The vendored extension schemas by their ``$id`` (without an empty ``#`` fragment)."""
    found = {}
    for path in sorted(SCHEMAS.rglob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        found[schema["$id"].removesuffix("#")] = schema
    return found


class OfflineValidator(pystac.validation.STACValidator):
    """Validates against local schemas and refuses to fetch any other."""

    def __init__(self) -> None:
        self.schemas = {**get_local_schema_cache(), **vendored()}
        self.uri_map = DefaultSchemaUriMap()
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

    def validate_core(self, stac_dict: dict[str, Any], stac_object_type: STACObjectType,
                      stac_version: str, href: str | None = None) -> str:
        """Validate against the core schema of the object's type and STAC version."""
        uri = self.uri_map.get_object_schema_uri(stac_object_type, stac_version)
        if uri is None:
            raise SchemaNotLocal(f"no core schema for {stac_object_type} {stac_version}")
        return self._validate(stac_dict, uri)

    def validate_extension(self, stac_dict: dict[str, Any], stac_object_type: STACObjectType,
                           stac_version: str, extension_id: str,
                           href: str | None = None) -> str:
        """Validate against an extension's schema, named by its URL."""
        return self._validate(stac_dict, extension_id)


VALIDATOR = OfflineValidator()


def validate(document: dict[str, Any]) -> list[str]:
    """Validate a STAC document offline; return the URLs of the schemas it was checked against."""
    return pystac.validation.validate_dict(document, validator=VALIDATOR)


def messages(error: STACValidationError) -> list[str]:
    """Every leaf message below a validation error, including inside ``oneOf`` branches."""
    found: list[str] = []
    pending = list(error.source or [])
    while pending:
        current = pending.pop()
        found.append(current.message)
        pending.extend(current.context or [])
    return found
