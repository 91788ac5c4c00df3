"""The plugin eojobs loads through the ``eojobs`` entry point: it registers the backend.

The backend is registered by name and ``module:Class``, so that its module
is imported only when it is used.
"""

from __future__ import annotations

from collections.abc import Callable

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[..., None]) -> None:
    """Register the local backend, imported on first use."""
    register("local", "eojobs_local.backend:LocalBackend", "Jobs run on this machine")
