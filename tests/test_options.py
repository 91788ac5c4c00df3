from __future__ import annotations

import warnings
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from eojobs import AssumedUTCWarning, OptionError
from eojobs.models import DataType, OptionSpec, Service
from eojobs.options import coerce_options, coerce_value

pytestmark = pytest.mark.filterwarnings("ignore::eojobs.AssumedUTCWarning")

SERVICE = Service(
    id="s1",
    name="Demo",
    options=[
        OptionSpec(name="resolution", data_type=DataType.NUMBER, default=30, unit="m"),
        OptionSpec(name="cover", data_type=DataType.NUMBER, unit="%"),
        OptionSpec(name="count", data_type=DataType.NUMBER),
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
    ({"start": "2024-01-01", "resolution": "30m"},
     "option 'resolution' expects a number, got '30m': units are not accepted; give a plain "
     "number in m, such as 30"),
    ({"start": "2024-01-01", "resolution": "5 km"},
     "option 'resolution' expects a number, got '5 km': units are not accepted; give a plain "
     "number in m"),
    ({"start": "2024-01-01", "cover": "30%"},
     "option 'cover' expects a number, got '30%': units are not accepted; give a plain number "
     "in %, such as 30"),
    ({"start": "2024-01-01", "count": "12 px"},
     "option 'count' expects a number, got '12 px': units are not accepted; give a plain number"),
    ({"start": "2024-01-01", "count": "twelve"}, "option 'count' expects a number, got 'twelve'"),
    ({"start": "2024-01-01", "budget": "$12"},
     "option 'budget' expects a currency amount such as 12.50, got '$12': currency units are "
     "not accepted"),
    ({"start": "2024-01-01", "mask": "ture"}, "got 'ture' (did you mean 'true'?)"),
    ({"start": "2024-01-01", "label": True},
     "option 'label' expects a string, got the boolean True; quote it in a job file"),
    ({"start": "2024-13-01"}, "option 'start' expects an ISO 8601 date-time"),
    ({"start": 20240101}, "option 'start' expects a date-time, got int"),
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


def test_a_number_without_a_unit_message_has_no_unit_hint():
    with pytest.raises(OptionError) as info:
        coerce_value(spec("count"), "twelve")
    assert "unit" not in str(info.value)


ALL_SPELLINGS = [(t, True) for t in ("true", "yes", "y", "on", "1", "t")] + \
    [(f, False) for f in ("false", "no", "n", "off", "0", "f")]


@pytest.mark.parametrize(("text", "expected"), ALL_SPELLINGS)
def test_every_boolean_spelling_in_any_case_and_padding(text, expected):
    for variant in (text, text.upper(), text.title(), f"  {text} "):
        assert coerce_value(spec("mask"), variant) is expected
    assert coerce_value(spec("mask"), expected) is expected


def test_a_datetime_without_a_timezone_is_utc_and_says_so():
    with pytest.warns(AssumedUTCWarning, match="option 'start': no timezone given, assuming UTC"):
        value = coerce_value(spec("start"), "2024-05-01T10:00")
    assert value == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    with pytest.warns(AssumedUTCWarning):
        assert coerce_value(spec("start"), date(2024, 5, 1)) == \
            datetime(2024, 5, 1, tzinfo=timezone.utc)
    with pytest.warns(AssumedUTCWarning):
        assert coerce_value(spec("start"), datetime(2024, 5, 1)).tzinfo is timezone.utc


def test_a_datetime_with_a_timezone_warns_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert coerce_value(spec("start"), "2024-05-01T10:00:00Z").tzinfo is not None
        assert coerce_value(spec("start"), datetime(2024, 5, 1, tzinfo=timezone.utc))


def test_the_utc_warning_points_at_the_caller_and_can_be_an_error():
    with pytest.warns(AssumedUTCWarning) as record:
        coerce_options(SERVICE, {"start": "2024-05-01"})
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumedUTCWarning)
        with pytest.raises(AssumedUTCWarning):
            coerce_options(SERVICE, {"start": "2024-05-01"})


@pytest.mark.parametrize("text", ["evi", "EVI", "Evi", " eVi "])
def test_constrained_values_match_in_any_case(text):
    assert coerce_value(spec("index"), text) == "EVI"


def test_values_may_hold_equals_signs_and_spaces():
    assert coerce_value(spec("label"), "a=b=c d") == "a=b=c d"


# Extra input files, checked against the declared types before anything is sent

def _inputs_service():
    from eojobs.models import InputSpec

    return Service(id="s2", name="Inputs", inputs=[
        InputSpec(number=2, name="mask", file_type="GeoTIFF"),
        InputSpec(number=3, name="table", file_type="CSV"),
        InputSpec(number=4, name="picture", file_type="PNG"),
    ])


@pytest.mark.parametrize(("number", "name", "content", "message"), [
    (2, "mask.csv", b"a,b\n", "input mask takes a GeoTIFF file (.tif, .tiff, .dem, .jp2), "
                              "not mask.csv"),
    (2, "mask.tif", b"not a tiff", "input mask: mask.tif is not a TIFF file, whatever its name"),
    (2, "mask.tif", b"", "input mask: mask.tif is empty"),
    (3, "table.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "input table: table.csv is not a CSV file: "
                                                  "it is not text"),
    (3, "table.txt", b"a,b\n", "input table takes a CSV file (.csv), not table.txt"),
    (4, "picture.png", b"GIF89a", "input picture: picture.png is not a PNG file, whatever its "
                                  "name"),
    ("7", "x.csv", b"a\n", "Inputs has no input '7'; its inputs besides the region are: "
                         "2 (mask), 3 (table), 4 (picture)"),
    ("1", "x.csv", b"a\n", "input 1 of Inputs is the region of interest: give it as the job's "
                         "region"),
])
def test_input_files_must_fit_the_declared_type(tmp_path, number, name, content, message):
    from eojobs import InputError
    from eojobs.inputs import check_inputs

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        check_inputs(_inputs_service(), {number: path})
    assert str(info.value) == message


def test_a_folder_given_as_an_input_file_is_named_as_a_folder(tmp_path):
    from eojobs import InputError
    from eojobs.inputs import check_inputs

    with pytest.raises(InputError, match=f"input mask: {tmp_path} is a folder, not a file"):
        check_inputs(_inputs_service(), {2: tmp_path})


def test_input_files_that_fit_are_taken_by_number_or_name(tmp_path):
    from eojobs.inputs import check_inputs

    tif = tmp_path / "mask.tif"
    tif.write_bytes(b"II*\x00" + bytes(16))
    csv = tmp_path / "t.csv"
    csv.write_text("name,value\nété,1\n", encoding="latin-1")
    png = tmp_path / "p.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(8))
    got = check_inputs(_inputs_service(), {"2": tif, "table": csv, 4: png})
    assert got == {2: tif, 3: csv, 4: png}


@pytest.mark.parametrize(("value", "expected"), [("7", 7), ("7.0", 7), (7.0, 7), (3, 3)])
def test_an_integer_option_takes_whole_numbers(value, expected):
    got = coerce_value(OptionSpec(name="n", data_type=DataType.INTEGER, maximum=9), value)
    assert got == expected and type(got) is int


@pytest.mark.parametrize(("value", "message"), [
    ("2.5", "option 'n' expects a whole number, got 2.5"),
    ("12", "option 'n' must be at most 9, got 12"),
    ("many", "option 'n' expects a number, got 'many'"),
])
def test_an_integer_option_refuses_what_is_not_a_whole_number_in_range(value, message):
    with pytest.raises(OptionError) as caught:
        coerce_value(OptionSpec(name="n", data_type=DataType.INTEGER, maximum=9), value)
    assert str(caught.value) == message


def test_a_date_option_is_a_day_and_assumes_no_timezone():
    spec = OptionSpec(name="day", data_type=DataType.DATE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert coerce_value(spec, "2024-05-01") == date(2024, 5, 1)
        assert coerce_value(spec, "2024-05-01T00:00:00Z") == date(2024, 5, 1)
        assert coerce_value(spec, datetime(2024, 5, 1)) == date(2024, 5, 1)
    for bad in ("2024-05-01T10:00:00Z", "May 1st", 5):
        with pytest.raises(OptionError, match="option 'day' expects a date such as 2024-05-01"):
            coerce_value(spec, bad)


def test_a_json_option_parses_text_and_keeps_values_given_from_python():
    spec = OptionSpec(name="bands", data_type=DataType.JSON)
    assert coerce_value(spec, '["B04", "B08"]') == ["B04", "B08"]
    assert coerce_value(spec, ["B02"]) == ["B02"]
    with pytest.raises(OptionError) as caught:
        coerce_value(spec, "[B02")
    assert str(caught.value) == ("option 'bands' expects JSON, such as [1, 2] or {\"a\": 1}; "
                                 "got '[B02'")
