"""pluggy hook specifications: the points where a plugin extends eojobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("eojobs")
hookimpl = pluggy.HookimplMarker("eojobs")


@hookspec
def register_backends(register: Callable[[Any], None]) -> None:
    """Register backend classes by calling ``register(BackendClass)`` once for each.

    Import heavy modules inside the hook, not at the top of the plugin module,
    so that ``eojobs --help`` stays fast.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``eojobs`` command line with ``cli.add_command``."""
