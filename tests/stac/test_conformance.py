"""The conformance kit on the STAC backend, against `rustac serve` on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import eojobs
from eojobs.testing import Conformance, Subject
from tests.conftest import GLASGOW
from tests.stac.conftest import S2


@pytest.fixture
def eojobs_subject(stac) -> Iterator[Subject]:
    with eojobs.connect("stac") as conn:
        yield Subject(conn, region=GLASGOW, service=S2, options={"limit": 3}, timeout=60,
                      poll_interval=0.05)


class TestConformance(Conformance):
    pass
