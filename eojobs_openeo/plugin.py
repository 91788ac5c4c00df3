"""Registers the openEO backend; imports stay light."""

from __future__ import annotations

from collections.abc import Callable

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[..., None]) -> None:
    """Register the openEO backend, imported only when it is used."""
    register("openeo", "eojobs_openeo.backend:OpenEOBackend", "openEO API 1.x back-ends")
