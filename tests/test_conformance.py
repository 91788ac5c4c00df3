"""The conformance kit on the in-process mock platform."""

from __future__ import annotations

import pytest

import eojobs
from eojobs.testing import Conformance, Subject
from tests.conftest import GLASGOW


@pytest.fixture
def eojobs_subject(conn: eojobs.Connection) -> Subject:
    return Subject(conn, region=GLASGOW, service="Elevation", options={"resolution": 30},
                   timeout=30)


class TestConformance(Conformance):
    pass
