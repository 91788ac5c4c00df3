"""Registers the Fusion Platform backend."""

from __future__ import annotations

from collections.abc import Callable

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[..., None]) -> None:
    """Register the Fusion backend, imported only when it is used."""
    register("fusion", "eojobs_fusion.backend:FusionBackend",
             "Fusion Platform (thefusionplatform.com)")
