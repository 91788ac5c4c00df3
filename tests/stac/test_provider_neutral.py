"""The provider-neutral script of the openEO issue, on a STAC catalogue: the download half."""

from __future__ import annotations

from tests.openeo.test_provider_neutral import script
from tests.stac.conftest import S2


def test_the_same_script_runs_on_stac(stac, tmp_path):
    written = script("stac", {"url": stac.url}, S2, tmp_path)
    # Glasgow meets the first 20 scenes; each has two assets, in a folder of its own.
    assert len(written) == 40
    assert written[:2] == ["S2_00/S2_00_B04.tif", "S2_00/S2_00_B08.tif"]
