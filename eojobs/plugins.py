"""The plugin manager: loads plugins from the ``eojobs`` entry-point group, lazily and once."""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pluggy

from eojobs import hookspecs
from eojobs.entrypoints import entry_points
from eojobs.errors import ConfigError

if TYPE_CHECKING:
    from eojobs.backend import Backend

ENTRY_POINT_GROUP = "eojobs"
#: Comma-separated entry-point names; when set, only these plugins load.
LOAD_PLUGINS_ENV = "EOJOBS_LOAD_PLUGINS"

class PluginHost:
    """The installed plugins, loaded once from the entry points, with any ``extra`` ones.

    eojobs reads the entry points itself rather than with pluggy's
    ``load_setuptools_entrypoints``, which imports ``importlib.metadata`` and
    reads every installed distribution: that was 60 ms more per command in
    ``bench/plugin_loading.py``. Each plugin that fails to load is skipped
    with a :class:`PluginWarning`, as is each hook implementation that fails.
    A test makes its own host and activates it with :func:`using`.
    """

    def __init__(self, extra: Sequence[tuple[str, object]] = (), *,
                 entry_points_only: Iterable[str] | None = None) -> None:
        self.pm = pluggy.PluginManager("eojobs")
        self.pm.add_hookspecs(hookspecs)
        self.extra = list(extra)
        #: Entry-point names to load, when not all (``EOJOBS_LOAD_PLUGINS``).
        self.only = None if entry_points_only is None else set(entry_points_only)
        self._lock = threading.Lock()
        self._loaded = False

    def load(self) -> pluggy.PluginManager:
        """The plugin manager, after loading the plugins on first use."""
        with self._lock:
            if self._loaded:
                return self.pm
            wanted = os.environ.get(LOAD_PLUGINS_ENV)
            allow = self.only if wanted is None else {
                n.strip() for n in wanted.split(",") if n.strip()}
            for name, target in entry_points(ENTRY_POINT_GROUP):
                if allow is not None and name not in allow:
                    continue
                if self.pm.get_plugin(name) is not None or self.pm.is_blocked(name):
                    continue
                try:
                    self.pm.register(_load(target), name=name)
                except Exception as exc:  # noqa: BLE001 - one broken plugin must not break all
                    warnings.warn(f"plugin {name!r} ({target}) failed to load and is skipped: "
                                  f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=3)
            for name, plugin in self.extra:
                self.pm.register(plugin, name=name)
            self._loaded = True
        return self.pm

    def call_each(self, hook: str, **kwargs: object) -> None:
        """Call every plugin's implementation of ``hook``; one that fails is skipped with a
        warning."""
        for impl in getattr(self.load().hook, hook).get_hookimpls():
            try:
                impl.function(*(kwargs[name] for name in impl.argnames))
            except Exception as exc:  # noqa: BLE001 - one broken plugin must not break all
                warnings.warn(f"plugin {impl.plugin_name!r} failed in {hook} and is skipped: "
                              f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=3)


_process_host = PluginHost()
_current: ContextVar[PluginHost] = ContextVar("eojobs_plugins", default=_process_host)


def current() -> PluginHost:
    """The plugin host in use: the process's, unless :func:`using` put another in place."""
    return _current.get()


@contextmanager
def using(host: PluginHost) -> Iterator[PluginHost]:
    """Use ``host`` instead of the process's plugins inside the block (in this context).

    The choice is a context variable: a thread started inside the block
    (such as a download pool's) sees the process's plugins, not ``host``.
    """
    token = _current.set(host)
    try:
        yield host
    finally:
        _current.reset(token)


def load_plugins() -> pluggy.PluginManager:
    """Load the installed plugins, once, honouring ``EOJOBS_LOAD_PLUGINS``."""
    return current().load()


class PluginWarning(UserWarning):
    """A plugin could not be loaded; the others still are."""


def _load(target: str) -> object:
    module, _, attr = target.partition(":")
    plugin: object = importlib.import_module(module.strip())
    for part in filter(None, attr.strip().split(".")):
        plugin = getattr(plugin, part)
    return plugin


@dataclass(frozen=True)
class BackendEntry:
    """A registered backend: its name and title, and where its class is.

    A backend registered lazily (by name, ``"module:Class"`` and title) is
    imported only by :meth:`load`, when it is used.
    """

    name: str
    title: str
    target: str
    backend_class: type[Backend] | None = field(default=None, compare=False, repr=False)

    def load(self) -> type[Backend]:
        """The backend class, imported on first use; ConfigError if it cannot be."""
        if self.backend_class is not None:
            return self.backend_class
        try:
            found = _load(self.target)
        except Exception as exc:
            raise ConfigError(f"the {self.name} backend cannot be loaded from {self.target}: "
                              f"{type(exc).__name__}: {exc}; reinstall the plugin that "
                              f"provides it") from exc
        if not isinstance(found, type) or getattr(found, "name", None) != self.name:
            raise ConfigError(f"the {self.name} backend cannot be loaded: {self.target} is "
                              f"not a backend class named {self.name!r}")
        refuse(found, self.name)
        return found


def refuse(found: object, name: str) -> None:
    """Raise ConfigError naming every problem :func:`eojobs.backend.check_backend` finds."""
    from eojobs.backend import check_backend

    try:
        problems = check_backend(found)
    except Exception as exc:  # noqa: BLE001 - a class odd enough to break the check
        problems = [f"it cannot be checked: {type(exc).__name__}: {exc}"]
    if problems:
        raise ConfigError(f"the {name} backend is refused: {'; '.join(problems)}")


def registered_backends() -> dict[str, BackendEntry]:
    """Every registered backend, by name, without importing any of them.

    The ``register`` callback the ``register_backends`` hook gets takes a
    backend class, ``register(MyBackend)``, or a lazy reference,
    ``register("mine", "my_plugin.backend:MyBackend", "My platform")``.
    """
    found: dict[str, BackendEntry] = {}

    def register(backend: type[Backend] | str, target: str | None = None,
                 title: str | None = None) -> None:
        if isinstance(backend, str):
            module, _, attr = (target or "").partition(":")
            if not backend or not module.strip() or not attr.strip():
                raise TypeError(f"backend {backend!r} needs a 'module:Class' target, "
                                f"not {target!r}")
            if not isinstance(title, str):
                raise TypeError(f"backend {backend!r} needs a title")
            found[backend] = BackendEntry(backend, title, target or "")
            return
        name = getattr(backend, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"{backend!r} has no backend name")
        try:
            refuse(backend, name)
        except ConfigError as exc:
            warnings.warn(f"{exc}; it is skipped", PluginWarning, stacklevel=2)
            return
        target = f"{backend.__module__}:{backend.__qualname__}"
        found[name] = BackendEntry(name, getattr(backend, "title", ""), target, backend)

    call_each("register_backends", register=register)
    return dict(sorted(found.items()))


def backend_classes() -> BackendClasses:
    """Every registered backend class, by name; each is imported when looked up."""
    return BackendClasses(registered_backends())


class BackendClasses(Mapping[str, "type[Backend]"]):
    """Backend classes by name, imported on demand.

    Names and ``in`` import nothing; ``classes[name]`` and ``get`` import that
    backend and raise ConfigError if it fails to. ``items()`` and ``values()``
    import every backend and leave out, with a :class:`PluginWarning`, each
    one that fails, so one broken plugin does not hide the others.
    """

    def __init__(self, entries: Mapping[str, BackendEntry]) -> None:
        self.entries = dict(entries)

    def __getitem__(self, name: str) -> type[Backend]:
        return self.entries[name].load()

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def items(self) -> list[tuple[str, type[Backend]]]:  # type: ignore[override]
        """``(name, class)`` of every backend that imports; a warning for each that does not."""
        usable = []
        for name, entry in self.entries.items():
            try:
                usable.append((name, entry.load()))
            except ConfigError as exc:
                warnings.warn(f"{exc}; it is skipped", PluginWarning, stacklevel=2)
        return usable


def call_each(hook: str, **kwargs: object) -> None:
    """Call every plugin's implementation of ``hook``; one that fails is skipped with a warning."""
    current().call_each(hook, **kwargs)
