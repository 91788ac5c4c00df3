"""`eojobs define` and `run --from` with -b fusion against `eojobs mock serve`."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from eojobs.cli import cli
from eojobs.region import Region
from tests.conftest import GLASGOW


def invoke(*args: str):
    return CliRunner().invoke(cli, ["-b", "fusion", *args], catch_exceptions=False)


def test_define_reads_the_uploaded_region_back_and_run_from_recreates_the_job(
        fusion_env, tmp_path):
    created = invoke("--json", "run", "elevation", "-r", str(GLASGOW), "-n", "first",
                     "-o", "dem_source=srtm", "--no-wait")
    assert created.exit_code == 0, created.stderr
    original = json.loads(created.stdout)
    defined = invoke("define", original["id"])
    assert defined.exit_code == 0, defined.stderr
    document = yaml.safe_load(defined.stdout)
    assert document["service"] == "Elevation" and document["name"] == "first"
    assert document["options"]["dem_source"] == "SRTM"
    assert Region.parse(document["region"]) == Region.from_file(GLASGOW)
    path = tmp_path / "job.yaml"
    path.write_text(defined.stdout)
    again = invoke("--json", "run", "--from", str(path), "--no-wait")
    assert again.exit_code == 0, again.stderr
    copy = json.loads(again.stdout)
    assert copy["id"] != original["id"] and copy["options"] == original["options"]
