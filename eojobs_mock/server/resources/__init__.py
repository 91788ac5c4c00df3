"""The API's endpoints, one module per group of models; importing them registers their routes."""

from __future__ import annotations


def load() -> None:
    """Import every resource module so that its routes are registered."""
    from eojobs_mock.server.resources import (  # noqa: F401
        accounts,
        data,
        executions,
        processes,
        services,
        transfers,
    )
