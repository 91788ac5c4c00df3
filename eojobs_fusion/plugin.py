"""Registers the Fusion Platform backend and the commands of its extras."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[..., None]) -> None:
    """Register the Fusion backend, imported only when it is used."""
    register("fusion", "eojobs_fusion.backend:FusionBackend",
             "Fusion Platform (thefusionplatform.com)")


@eojobs.hookimpl
def register_commands(cli: Any) -> None:
    """Add the commands of Fusion's extras: organisations, dispatchers, copy and keep."""
    from eojobs_fusion.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)
