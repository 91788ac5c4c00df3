"""Registers the openEO backend and its ``eojobs openeo`` commands; imports stay light."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[..., None]) -> None:
    """Register the openEO backend, imported only when it is used."""
    register("openeo", "eojobs_openeo.backend:OpenEOBackend", "openEO API 1.x back-ends")


@eojobs.hookimpl
def register_commands(cli: Any) -> None:
    """Add the ``eojobs openeo`` group."""
    from eojobs_openeo.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)
