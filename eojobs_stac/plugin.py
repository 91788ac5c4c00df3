"""Registers the STAC backend; imports stay light (pystac-client loads when it is used)."""

from __future__ import annotations

from collections.abc import Callable

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[..., None]) -> None:
    """Register the STAC backend, imported only when it is used."""
    register("stac", "eojobs_stac.backend:StacBackend", "STAC APIs: scenes of collections")
