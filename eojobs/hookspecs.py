"""pluggy hook specifications: the points where a plugin extends eojobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("eojobs")
hookimpl = pluggy.HookimplMarker("eojobs")


@hookspec
def register_backends(register: Callable[..., None]) -> None:
    """Register each backend by calling ``register`` once for it.

    ``register("name", "package.module:BackendClass", "One-line title")``
    registers it lazily: its module is imported only when the backend is
    used, so commands on other backends do not pay for it. This is the way
    to prefer. ``register(BackendClass)`` registers a class already
    imported; import it inside the hook, not at the top of the plugin
    module, so that ``eojobs --help`` stays fast.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``eojobs`` command line with ``cli.add_command``."""
