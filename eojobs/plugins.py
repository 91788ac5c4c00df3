"""The plugin manager: loads plugins from the ``eojobs`` entry-point group, lazily and once."""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from typing import TYPE_CHECKING

import pluggy

from eojobs import hookspecs
from eojobs.entrypoints import entry_points

if TYPE_CHECKING:
    from eojobs.backend import Backend

ENTRY_POINT_GROUP = "eojobs"
#: Comma-separated entry-point names; when set, only these plugins load.
LOAD_PLUGINS_ENV = "EOJOBS_LOAD_PLUGINS"

pm = pluggy.PluginManager("eojobs")
pm.add_hookspecs(hookspecs)

_lock = threading.Lock()
_loaded = False


def load_plugins() -> pluggy.PluginManager:
    """Load the installed plugins, once, honouring ``EOJOBS_LOAD_PLUGINS``."""
    global _loaded
    with _lock:
        if _loaded:
            return pm
        wanted = os.environ.get(LOAD_PLUGINS_ENV)
        allow = None if wanted is None else {n.strip() for n in wanted.split(",") if n.strip()}
        for name, target in entry_points(ENTRY_POINT_GROUP):
            if allow is not None and name not in allow:
                continue
            if pm.get_plugin(name) is not None or pm.is_blocked(name):
                continue
            try:
                plugin = _load(target)
                pm.register(plugin, name=name)
            except Exception as exc:  # noqa: BLE001 - one broken plugin must not break all
                warnings.warn(f"plugin {name!r} ({target}) failed to load and is skipped: "
                              f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=2)
        _loaded = True
    return pm


class PluginWarning(UserWarning):
    """A plugin could not be loaded; the others still are."""


def _load(target: str) -> object:
    module, _, attr = target.partition(":")
    plugin: object = importlib.import_module(module.strip())
    for part in filter(None, attr.strip().split(".")):
        plugin = getattr(plugin, part)
    return plugin


def backend_classes() -> dict[str, type[Backend]]:
    """Every registered backend class, by name."""
    found: dict[str, type[Backend]] = {}

    def register(backend_class: type[Backend]) -> None:
        name = getattr(backend_class, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{backend_class!r} has no backend name")
        found[name] = backend_class

    call_each("register_backends", register=register)
    return dict(sorted(found.items()))


def call_each(hook: str, **kwargs: object) -> None:
    """Call every plugin's implementation of ``hook``; one that fails is skipped with a warning."""
    for impl in getattr(load_plugins().hook, hook).get_hookimpls():
        try:
            impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not break all
            warnings.warn(f"plugin {impl.plugin_name!r} failed in {hook} and is skipped: "
                          f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=2)
