"""Registers the Fusion Platform backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[[Any], None]) -> None:
    """Register the Fusion backend."""
    from eojobs_fusion.backend import FusionBackend

    register(FusionBackend)
