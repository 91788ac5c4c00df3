"""The pytest plugin of the conformance kit, loaded through the ``pytest11`` entry point.

pytest loads it in every run where eojobs is installed, so it imports
nothing of eojobs: it only registers the kit's marker and a default
``eojobs_subject`` fixture that says what to define. The suite itself is
:class:`eojobs.testing.Conformance`.
"""

from __future__ import annotations

from typing import Any

import pytest

#: The marker every test of the suite carries: ``pytest -m eojobs_conformance``.
MARKER = "eojobs_conformance"

HOW = (
    "the eojobs conformance suite needs a fixture named 'eojobs_subject' that returns an "
    "eojobs.testing.Subject: define it in your test module or conftest.py, e.g.\n\n"
    "    @pytest.fixture\n"
    "    def eojobs_subject(my_server):\n"
    "        with eojobs.connect('mine', url=my_server.url) as conn:\n"
    "            yield Subject(conn, region=(-4.3, 55.8, -4.2, 55.9), service='NDVI')\n\n"
    "(see help(eojobs.testing))"
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the kit's marker."""
    config.addinivalue_line(
        "markers", f"{MARKER}: a test of the eojobs backend conformance suite "
                   "(eojobs.testing.Conformance)")


@pytest.fixture
def eojobs_subject() -> Any:
    """The backend under test; this default fails, saying what to define instead."""
    pytest.fail(HOW, pytrace=False)
