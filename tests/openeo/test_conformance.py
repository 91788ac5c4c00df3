"""The conformance kit on the openEO backend, against openeo-driver's app on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import eojobs
from eojobs.testing import Conformance, Subject
from tests.conftest import GLASGOW


@pytest.fixture
def eojobs_subject(account) -> Iterator[Subject]:
    with eojobs.connect("openeo", **account.settings) as conn:
        yield Subject(conn, region=GLASGOW, service="ndvi", timeout=60, poll_interval=0.05)


class TestConformance(Conformance):
    pass
