"""Properties of option coercion, checked on generated values."""

from __future__ import annotations

import math
import warnings
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from eojobs import AssumedUTCWarning, OptionError
from eojobs.models import DataType, OptionSpec, Service
from eojobs.options import coerce_options, coerce_value, to_jsonable

pytestmark = pytest.mark.filterwarnings("ignore::eojobs.AssumedUTCWarning")

NUMBER = OptionSpec(name="n", data_type=DataType.NUMBER)
CURRENCY = OptionSpec(name="c", data_type=DataType.CURRENCY)
BOOLEAN = OptionSpec(name="b", data_type=DataType.BOOLEAN)
MOMENT = OptionSpec(name="d", data_type=DataType.DATETIME)
TEXT = OptionSpec(name="s", data_type=DataType.STRING)
CHOICES = ["NDVI", "EVI", "SAVI", "Sentinel-2", "mean"]
CHOICE = OptionSpec(name="k", data_type=DataType.CONSTRAINED, allowed=CHOICES)
BOUNDED = OptionSpec(name="r", data_type=DataType.NUMBER, minimum=10, maximum=1000)
SPECS = [NUMBER, CURRENCY, BOOLEAN, MOMENT, TEXT, CHOICE, BOUNDED]

SPELLINGS = {"true": True, "yes": True, "y": True, "on": True, "1": True, "t": True,
             "false": False, "no": False, "n": False, "off": False, "0": False, "f": False}


def random_case(text: str, flips: list[bool]) -> str:
    return "".join(c.upper() if up else c.lower() for c, up in zip(text, flips, strict=False))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_as_text_coerces_back_to_the_same_number(number):
    for text in (repr(number), str(number), f" {number!r} "):
        assert coerce_value(NUMBER, text) == number


@given(st.integers())
def test_any_integer_as_text_stays_an_exact_integer(number):
    assume(len(str(abs(number))) < 4000)
    value = coerce_value(NUMBER, str(number))
    assert value == number and isinstance(value, int)


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2,
                   min_value=-10**12, max_value=10**12))
def test_currency_text_keeps_every_digit(amount):
    assert coerce_value(CURRENCY, str(amount)) == amount
    assert Decimal(to_jsonable(coerce_value(CURRENCY, str(amount)))) == amount


@given(st.sampled_from(sorted(SPELLINGS)), st.lists(st.booleans(), min_size=5, max_size=5),
       st.text(" \t", max_size=2))
def test_any_boolean_spelling_in_any_case_round_trips(spelling, flips, pad):
    text = pad + random_case(spelling, flips) + pad
    value = coerce_value(BOOLEAN, text)
    assert value is SPELLINGS[spelling]
    assert coerce_value(BOOLEAN, str(value)) is value


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.timezones()))
def test_any_timezone_aware_datetime_round_trips_through_isoformat(moment):
    assume(moment.utcoffset() is not None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumedUTCWarning)
        value = coerce_value(MOMENT, moment.isoformat())
    # Wall time and offset, not ==: across zones, == is False for times in a DST fold or gap.
    assert value.replace(tzinfo=None) == moment.replace(tzinfo=None)
    assert value.utcoffset() == moment.utcoffset()
    again = coerce_value(MOMENT, to_jsonable(value))
    assert again == value and again.utcoffset() == value.utcoffset()


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_a_naive_datetime_is_the_same_wall_time_in_utc_with_a_warning(moment):
    with pytest.warns(AssumedUTCWarning):
        value = coerce_value(MOMENT, moment.isoformat())
    assert value == moment.replace(tzinfo=timezone.utc)


@given(st.dates())
def test_a_date_is_midnight_utc(day):
    value = coerce_value(MOMENT, day.isoformat())
    assert value == datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    assert value.date() == day


@given(st.sampled_from(CHOICES), st.lists(st.booleans(), min_size=10, max_size=10))
def test_constrained_values_in_random_case_map_to_the_canonical_choice(choice, flips):
    assert coerce_value(CHOICE, random_case(choice, flips)) == choice


@given(st.text(max_size=30))
def test_strings_are_kept_as_given(text):
    assert coerce_value(TEXT, text) == text


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_bounds_are_enforced_and_nothing_inside_is_refused(number):
    if 10 <= number <= 1000:
        assert coerce_value(BOUNDED, str(number)) == number
    else:
        with pytest.raises(OptionError, match="option 'r' must be at"):
            coerce_value(BOUNDED, str(number))


@given(st.floats(allow_nan=False, allow_infinity=False).filter(math.isfinite),
       st.sampled_from(["m", " km", "%", "px", " metres", "°C", "m/s", "ha"]))
def test_a_number_with_a_unit_is_refused_saying_units_are_not_accepted(number, unit):
    text = f"{number}{unit}"
    with pytest.raises(OptionError, match="units are not accepted"):
        coerce_value(NUMBER, text)


JUNK = st.one_of(
    st.text(),
    st.binary().map(lambda b: b.decode("latin-1")),
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from([Decimal("sNaN"), Decimal("-NaN"), float("nan"), float("-inf"), "sNaN",
                     "9" * 5000, "1e999999", "\x00", "１２", "1_000", "0x10", "--1"]),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.timedeltas(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.from_regex(r"\s*[+-]?\d{1,400}(\.\d*)?([eE][+-]?\d{1,6})?\s*\w{0,4}", fullmatch=True),
    st.from_regex(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
                  r"(Z|[+-]\d{2}:?\d{2})?", fullmatch=True),
)


@given(st.sampled_from(SPECS), JUNK)
@example(NUMBER, Decimal("sNaN"))
def test_random_junk_never_raises_anything_but_option_error(spec, value):
    assume(value is not None)
    try:
        coerce_value(spec, value)
    except OptionError as exc:
        assert str(exc).startswith(f"option {spec.name!r} ")
        assert "\n" not in str(exc)


@given(st.dictionaries(st.text(max_size=12), JUNK, max_size=4))
def test_random_option_mappings_never_raise_anything_but_option_error(given_options):
    service = Service(id="s", name="Demo", options=SPECS)
    try:
        out = coerce_options(service, given_options)
    except OptionError:
        return
    assert set(out) <= {s.name for s in SPECS}


def test_strategies_cover_dates_and_gaps():
    assert coerce_value(MOMENT, date(2024, 1, 1)).tzinfo is timezone.utc
    with pytest.raises(OptionError, match="expects a date-time, got timedelta"):
        coerce_value(MOMENT, timedelta(days=1))
