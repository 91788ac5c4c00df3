"""Fixes an error suggests: Python words in the library, the CLI's flags on the command line."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

from eojobs.cli.hints import FIXES, error_text, flag, in_cli_words
from eojobs.errors import Fix, Message, RegionError, message_of

ROOT = Path(__file__).parent.parent


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


def test_every_fix_the_library_suggests_has_cli_words():
    named = set()
    for path in (p for package in ROOT.glob("eojobs*") for p in package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "Fix" and node.args
                    and isinstance(node.args[0], ast.Constant)):
                named.add(node.args[0].value)
    assert {"repair", "overwrite", "simplify_m"} <= named
    assert named - set(FIXES) == set()


def test_a_missing_option_and_a_needless_variant_name_their_fix_both_ways():
    import pytest

    import eojobs
    from eojobs.models import DataType, OptionSpec, Service
    from eojobs.options import coerce_options

    demo = Service(id="d", name="Demo", options=[
        OptionSpec(name="start", data_type=DataType.DATETIME, required=True)])
    with pytest.raises(eojobs.OptionError) as info:
        coerce_options(demo, {})
    assert str(info.value) == ("Demo needs option 'start' (datetime): give it "
                               "(options={'start': VALUE})")
    assert error_text(info.value) == ("Demo needs option 'start' (datetime): give it "
                                      "(-o start=VALUE)")
    with pytest.raises(eojobs.ConfigError) as info:
        eojobs.connect("mock:x")
    assert str(info.value) == ("the mock backend takes no ':NAME' after its name; name it "
                               "alone: backend='mock'")
    assert error_text(info.value).endswith("name it alone: -b mock")
