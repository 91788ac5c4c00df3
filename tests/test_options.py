from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from eojobs import OptionError
from eojobs.models import DataType, OptionSpec, Service
from eojobs.options import coerce_options, coerce_value

SERVICE = Service(
    id="s1",
    name="Demo",
    options=[
        OptionSpec(name="resolution", data_type=DataType.NUMBER, default=30),
        OptionSpec(name="budget", data_type=DataType.CURRENCY),
        OptionSpec(name="mask", data_type=DataType.BOOLEAN, default=False),
        OptionSpec(name="start", data_type=DataType.DATETIME, required=True),
        OptionSpec(name="label", data_type=DataType.STRING),
        OptionSpec(name="index", data_type=DataType.CONSTRAINED, allowed=["NDVI", "EVI"],
                   default="NDVI"),
    ],
)


def spec(name: str) -> OptionSpec:
    found = SERVICE.option(name)
    assert found is not None
    return found


def test_values_are_coerced_to_their_types_and_defaults_filled():
    got = coerce_options(SERVICE, {"start": "2024-05-01", "budget": "12.50", "mask": "yes",
                                   "label": "a=b", "index": "evi", "resolution": "10"})
    assert got == {
        "resolution": 10,
        "budget": Decimal("12.50"),
        "mask": True,
        "start": datetime(2024, 5, 1, tzinfo=timezone.utc),
        "label": "a=b",
        "index": "EVI",
    }
    assert coerce_options(SERVICE, {"start": datetime(2024, 1, 1)})["resolution"] == 30


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("False", False), ("1", True), ("0", False), ("on", True), ("NO", False),
])
def test_boolean_spellings(text, expected):
    assert coerce_value(spec("mask"), text) is expected


def test_datetime_with_zone_is_kept():
    value = coerce_value(spec("start"), "2024-05-01T10:00:00+02:00")
    assert value.utcoffset().total_seconds() == 7200
    assert coerce_value(spec("start"), "2024-05-01T10:00:00Z").tzinfo is not None


@pytest.mark.parametrize(("given", "message"), [
    ({"resolutoin": 5, "start": "2024-01-01"},
     "Demo has no option 'resolutoin' (did you mean 'resolution'?); its options are: resolution"),
    ({}, "Demo needs option 'start' (datetime)"),
    ({"start": "yesterday"}, "option 'start' expects an ISO 8601 date-time"),
    ({"start": "2024-01-01", "resolution": "30m"},
     "option 'resolution' expects a number, got '30m'"),
    ({"start": "2024-01-01", "resolution": True}, "expects a number, not the boolean True"),
    ({"start": "2024-01-01", "resolution": "nan"}, "expects a finite number"),
    ({"start": "2024-01-01", "budget": "lots"}, "option 'budget' expects a currency amount"),
    ({"start": "2024-01-01", "mask": "maybe"}, "option 'mask' expects a boolean"),
    ({"start": "2024-01-01", "index": "NVDI"},
     "option 'index' must be one of NDVI, EVI; got 'NVDI' (did you mean 'NDVI'?)"),
    ({"start": "2024-01-01", "label": ["x"]}, "option 'label' expects a string, got list"),
])
def test_bad_options_say_what_was_expected(given, message):
    with pytest.raises(OptionError) as info:
        coerce_options(SERVICE, given)
    assert message in str(info.value)
