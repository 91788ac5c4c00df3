"""Bad input is refused with a message naming it, and nothing is written or lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eojobs.batch import Campaign
from eojobs.errors import InputError, OptionError
from tests.batch.conftest import feature_collection, square


def refused(tmp_path: Path, regions: Path, match: str, **given: object) -> None:
    """Creating a campaign of ``regions`` fails with ``match``; no folder is made."""
    with pytest.raises(InputError, match=match):
        Campaign.create(tmp_path / "camp", "Elevation", regions, **given)  # type: ignore[arg-type]
    assert not (tmp_path / "camp").exists()


def test_a_missing_file(tmp_path: Path) -> None:
    refused(tmp_path, tmp_path / "nope.geojson", "no such file or folder: .*nope.geojson")


def test_a_feature_without_geometry(tmp_path: Path) -> None:
    path = tmp_path / "fc.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"key": "a"}, "geometry": square(0)},
        {"type": "Feature", "properties": {"key": "b"}, "geometry": None}]}))
    refused(tmp_path, path, r"feature 2 \(key 'b'\) has no geometry")


def test_a_csv_without_a_geometry_column(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("key,resolution\na,30\n")
    refused(tmp_path, path, "has no geometry column.*columns: key, resolution")


def test_an_unknown_option_in_a_csv_column_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text('key,bbox,colour\na,"-4.3,55.8,-4.29,55.81",red\n')
    with pytest.raises(OptionError, match="row 'a': .*colour"):
        Campaign.create(tmp_path / "camp", "Elevation", path)
    assert not (tmp_path / "camp").exists()


def test_an_option_value_that_does_not_fit(tmp_path: Path) -> None:
    refused(tmp_path, feature_collection(tmp_path / "fc.geojson", 2), "row 'f000': .*resolution",
            options={"resolution": 5})


def test_keys_given_twice_or_already_there(tmp_path: Path) -> None:
    campaign = Campaign.create(tmp_path / "camp", "Elevation",
                               feature_collection(tmp_path / "a.geojson", 2))
    before = [row.as_dict() for row in campaign.rows()]
    with pytest.raises(InputError, match="already in the campaign: f001"):
        campaign.add(feature_collection(tmp_path / "b.geojson", 2, start=1))
    path = tmp_path / "dup.csv"
    path.write_text('key,bbox\nx,"0,0,0.01,0.01"\nx,"0,0,0.01,0.01"\n')
    with pytest.raises(InputError, match="row key 'x' is given twice"):
        campaign.add(path)
    assert [row.as_dict() for row in campaign.rows()] == before
    campaign.close()


def test_a_db_that_is_not_postgres_is_one_line_and_makes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from eojobs.cli import cli

    regions = feature_collection(tmp_path / "fc.geojson", 2)
    result = CliRunner().invoke(cli, ["batch", "run", "elevation", "-r", str(regions), "-d",
                                      str(tmp_path / "camp"), "--db", "mysql://me:hunter22@x/y"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.strip() == ("error: a campaign database is a PostgreSQL URL "
                                     "(postgresql://...), not 'mysql://me:REDACTED@x/y'")
    assert not (tmp_path / "camp").exists()


@pytest.mark.parametrize("content", [b"not a database at all" * 100, "foreign schema"])
def test_a_folder_whose_campaign_db_is_not_ours_is_one_line(tmp_path: Path,
                                                           content: bytes | str) -> None:
    import sqlite3

    from click.testing import CliRunner

    from eojobs.cli import cli

    camp = tmp_path / "camp"
    camp.mkdir()
    db = camp / "campaign.db"
    if isinstance(content, bytes):
        db.write_bytes(content)
    else:
        with sqlite3.connect(db) as other:
            other.execute("CREATE TABLE batch_rows (key TEXT)")
    before = db.read_bytes()
    result = CliRunner().invoke(cli, ["batch", "status", str(camp)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith(f"error: {db} is not an eojobs campaign database: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before
