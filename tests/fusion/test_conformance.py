"""The conformance kit on the Fusion backend, against `eojobs mock serve` on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import eojobs
from eojobs.testing import Conformance, Subject
from tests.conftest import GLASGOW


@pytest.fixture
def eojobs_subject(fusion_env) -> Iterator[Subject]:
    with eojobs.connect("fusion") as conn:
        yield Subject(conn, region=GLASGOW, service="Elevation", options={"resolution": 30},
                      timeout=60, poll_interval=0.05)


class TestConformance(Conformance):
    pass
