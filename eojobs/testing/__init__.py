"""The conformance kit: one test suite every eojobs backend should pass.

A backend author runs it against their own test server in three steps:

1. Install eojobs; its pytest plugin (:mod:`eojobs.testing.plugin`) loads by itself.
2. In a test module, define a fixture ``eojobs_subject`` that returns a
   :class:`Subject`: a connection to the backend under test, a region its
   services take, and the service and options of a job that succeeds with
   output files.
3. In the same module, subclass :class:`Conformance` as ``TestConformance``.

For example::

    import pytest
    import eojobs
    from eojobs.testing import Conformance, Subject

    @pytest.fixture
    def eojobs_subject(my_test_server):
        with eojobs.connect("mine", url=my_test_server.url) as conn:
            yield Subject(conn, region=(-4.3, 55.8, -4.2, 55.9), service="NDVI")

    class TestConformance(Conformance):
        pass

Each test of the suite checks one promise of the SPI (see
:mod:`eojobs.backend`); a feature the backend does not offer is skipped with
a reason, so the report says what was not covered. ``pytest -m
eojobs_conformance`` runs only the kit's tests. A test that does not apply to
a backend for a reason of its own can be overridden in the subclass with one
that calls ``pytest.skip("why")``.

Importing this package imports nothing else: :class:`Subject`,
:class:`Conformance` and the check functions of :mod:`eojobs.testing.checks`
load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eojobs.testing.subject import Subject
    from eojobs.testing.suite import Conformance

__all__ = ["Conformance", "Subject"]

_LAZY = {"Subject": "eojobs.testing.subject", "Conformance": "eojobs.testing.suite"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eojobs.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
