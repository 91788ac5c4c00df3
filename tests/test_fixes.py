"""Fixes an error suggests: Python words in the library, the CLI's flags on the command line."""

from __future__ import annotations

import pickle

from eojobs.cli.hints import error_text, flag, in_cli_words
from eojobs.errors import Fix, Message, RegionError, message_of


def test_a_message_reads_in_python_terms_and_keeps_its_fixes():
    hint = Message("; or pass ", Fix("buffer_m", 100))
    message = Message("a{0} {x}.geojson is a line", hint, " (", Fix("crs", "EPSG:27700"), ")")
    assert message == "a{0} {x}.geojson is a line; or pass buffer_m=100 (crs='EPSG:27700')"
    assert message.fixes == (Fix("buffer_m", 100), Fix("crs", "EPSG:27700"))
    assert in_cli_words(message) == ("a{0} {x}.geojson is a line; or pass --buffer 100 "
                                     "(--region-crs EPSG:27700)")
    assert str(Fix("Region.parse_each")) == "Region.parse_each"


def test_an_error_carries_the_fixes_of_its_message():
    error = RegionError(Message("close it: pass ", Fix("repair", True)))
    assert str(error) == "close it: pass repair=True"
    assert error.fixes == (Fix("repair", True),)
    assert error_text(error) == "close it: pass --repair"
    assert message_of(error) is error.args[0]
    again = pickle.loads(pickle.dumps(error))
    assert again.fixes == error.fixes and error_text(again) == "close it: pass --repair"
    plain = RegionError("no fix here")
    assert plain.fixes == () and error_text(plain) == "no fix here"


def test_a_fix_the_cli_does_not_know_stays_in_python_terms():
    assert flag(Fix("max_price", 5)) == "max_price=5"
    assert flag(Fix("simplify_m", 2.5)) == "--simplify 2.5m"

