"""The route table: resource modules register handlers; werkzeug's ``Map`` does the matching."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.routing import Map, Rule

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    """One endpoint: a path template, its methods, its handler, and whether it needs a token."""

    path: str
    methods: tuple[str, ...]
    handler: Handler
    public: bool


class Routes:
    """A collection of routes, filled by decorators in the resource modules."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._compiled: tuple[Map, dict[str, Route]] | None = None

    def add(self, method: str, path: str, *, public: bool = False) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of ``method path``."""

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(path, (method,), handler, public))
            self._compiled = None
            return handler

        return register

    def url_map(self) -> tuple[Map, dict[str, Route]]:
        """A werkzeug Map of every route, and the route behind each endpoint name."""
        if self._compiled is None:
            by_endpoint = {f"r{i}": route for i, route in enumerate(self.routes)}
            rules = [Rule(r.path, methods=list(r.methods), endpoint=name)
                     for name, r in by_endpoint.items()]
            self._compiled = Map(rules, strict_slashes=False, merge_slashes=False), by_endpoint
        return self._compiled


ROUTES = Routes()
"""The one route table of the server."""
