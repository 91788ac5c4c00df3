"""Job files: reading them strictly, `eojobs run --from`, and `eojobs define` round trips."""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import eojobs
from eojobs import JobFileError, RegionError
from eojobs.cli import cli
from eojobs.errors import Fix
from eojobs.jobfile import dump_job_document, job_document, load_job_file
from eojobs.region import Region
from tests.conftest import GLASGOW

VEG = """\
service: Vegetation Index
region: area.geojson
options:
  start_date: 2024-05-01T00:00:00Z
  end_date: 2024-06-01
  index: evi
name: summer
"""


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def jobs_now() -> list[dict]:
    result = invoke("--json", "jobs")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with a region file in it, and a job file that names it relatively."""
    target = tmp_path / "jobs"
    target.mkdir()
    (target / "area.geojson").write_text(GLASGOW.read_text())
    write(target, "veg.yaml", VEG)
    return target


# Reading job files from Python


def test_a_job_file_is_read_with_its_region_beside_it(folder, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    definition = load_job_file(folder / "veg.yaml")
    assert definition.service == "Vegetation Index"
    assert definition.region == Region.from_file(GLASGOW)
    assert definition.options["index"] == "evi"
    assert definition.options["start_date"] == datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert definition.name == "summer" and definition.schedule is None
    assert definition.source == str(folder / "veg.yaml")


def test_a_json_job_file_with_inline_region_inputs_and_schedule(folder):
    document = {
        "service": "Elevation",
        "region": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        "inputs": {"2": "mask.tif"},
        "schedule": {"start_at": "2030-01-01T06:00:00Z", "repeat_count": 3,
                     "repeat_every": "6h"},
    }
    path = write(folder, "job.json", json.dumps(document))
    definition = load_job_file(path)
    assert definition.region is not None and definition.region.bounds == (0, 0, 1, 1)
    assert definition.inputs == {"2": folder / "mask.tif"}
    assert definition.schedule is not None
    assert definition.schedule.repeat_every == timedelta(hours=6)
    assert definition.schedule.run_times()[-1] == datetime(2030, 1, 1, 18, tzinfo=timezone.utc)


@pytest.mark.parametrize(("region", "bounds"), [
    ("-4.3,55.8,-4.2,55.9", (-4.3, 55.8, -4.2, 55.9)),
    ([-4.3, 55.8, -4.2, 55.9], (-4.3, 55.8, -4.2, 55.9)),
    ("POLYGON ((0 0, 2 0, 2 1, 0 0))", (0, 0, 2, 1)),
])
def test_a_region_may_be_a_bbox_or_wkt(folder, region, bounds):
    path = write(folder, "job.yaml", yaml.safe_dump({"service": "Elevation", "region": region}))
    found = load_job_file(path).region
    assert found is not None and found.bounds == pytest.approx(bounds)


@pytest.mark.parametrize("gap", ["1d", 86400, "P1D", "24h"])
def test_repeat_every_takes_short_forms_seconds_and_iso_8601(folder, gap):
    path = write(folder, "job.yaml", yaml.safe_dump({"schedule": {
        "start_at": "2030-01-01", "repeat_count": 2, "repeat_every": gap}}))
    with pytest.warns(eojobs.AssumedUTCWarning, match="schedule.start_at: no timezone given"):
        schedule = load_job_file(path).schedule
    assert schedule is not None and schedule.repeat_every == timedelta(days=1)
    assert schedule.start_at == datetime(2030, 1, 1, tzinfo=timezone.utc)


def test_a_job_definition_creates_the_job(folder, conn):
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        job = eojobs.load_job_file(folder / "veg.yaml").create_job(conn)
    assert job.name == "summer" and job.info.options["index"] == "EVI"
    assert job.region() == Region.from_file(GLASGOW)


def test_a_definition_without_a_service_says_so(folder, conn):
    path = write(folder, "job.yaml", "region: area.geojson\n")
    with pytest.raises(JobFileError, match=r"no service in .*job.yaml: add a 'service' key"):
        load_job_file(path).create_job(conn)
    assert conn.jobs() == []


def test_yaml_syntax_errors_give_the_line(folder):
    path = write(folder, "bad.yaml", "service: Elevation\noptions:\n  a: [1, 2\nname: x\n")
    with pytest.raises(JobFileError) as info:
        load_job_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: not valid YAML: ")
    assert "(line 4, column" in message


def test_json_syntax_errors_give_the_line(folder):
    path = write(folder, "bad.json", '{\n  "service": "Elevation",\n}\n')
    with pytest.raises(JobFileError, match=r"bad.json: not valid JSON: .*\(line 3, column 1\)"):
        load_job_file(path)


def test_a_region_error_names_the_file_and_the_key(folder):
    path = write(folder, "job.yaml", "service: Elevation\nregion: 5,5,4,6\n")
    with pytest.raises(RegionError, match=r"job.yaml: region: bbox 5,5,4,6 has west") as info:
        load_job_file(path)
    assert str(info.value).endswith("For a box across the antimeridian, pass repair=True")
    assert info.value.fixes == (Fix("repair", True),)


def test_an_empty_job_file_says_how_to_get_one(folder):
    path = write(folder, "empty.yaml", "")
    with pytest.raises(JobFileError) as info:
        load_job_file(path)
    assert str(info.value).endswith("empty.yaml is empty: a job file needs at least a service "
                                    "and a region (e.g. eojobs.jobfile.job_document makes one "
                                    "from a job)")


# The same and more through the CLI: exit 2, one line, nothing created

BAD_JOB_FILES = [
    ("unknown-key.yaml", "service: Elevation\nregion: area.geojson\noptoins: {}\n",
     "unknown-key.yaml: unknown key 'optoins' (did you mean 'options'?); the keys are: "
     "service, region, options, inputs, name, schedule"),
    ("syntax.yaml", "service: Elevation\nregion: [1, 2\n",
     "syntax.yaml: not valid YAML: "),
    ("empty.yaml", "", "empty.yaml is empty: a job file needs at least a service and a region "
     "(e.g. `eojobs define JOB > job.yaml` makes one from a job)"),
    ("comments.yaml", "# nothing here\n", "comments.yaml is empty"),
    ("list.yaml", "- service: Elevation\n",
     "list.yaml: a job file is a mapping of keys such as service, region and options, "
     "not a list"),
    ("options-list.yaml", "service: Elevation\nregion: area.geojson\noptions: [a, b]\n",
     "options-list.yaml: options: should be a mapping of KEY: VALUE, not a list"),
    ("options-nested.yaml",
     "service: Elevation\nregion: area.geojson\noptions:\n  resolution: [10, 20]\n",
     "options-nested.yaml: options: 'resolution' takes one value, not a list"),
    ("service-number.yaml", "service: 7\nregion: area.geojson\n",
     "service-number.yaml: service: input should be a valid string"),
    ("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
     "binary.yaml is not a text file: a job file is YAML or JSON in UTF-8"),
    ("latin1.yaml", "service: \xe9l\xe9vation\n".encode("latin-1"),
     "latin1.yaml is not a text file"),
    ("no-region-file.yaml", "service: Elevation\nregion: nowhere.geojson\n",
     "no-region-file.yaml: region: no such region file"),
    ("bbox-order.yaml", "service: Elevation\nregion: 5,5,4,6\n",
     "bbox-order.yaml: region: bbox 5,5,4,6 has west (5) east of east (4); the order is "
     "west,south,east,north. For a box across the antimeridian, pass --repair"),
    ("bad-region.yaml", "service: Elevation\nregion: 7\n",
     "bad-region.yaml: region: give a file name, WKT, W,S,E,N, [W, S, E, N] or inline "
     "GeoJSON, not a number"),
    ("schedule-key.yaml",
     "service: Elevation\nregion: area.geojson\nschedule:\n  start_at: 2030-01-01\n"
     "  repeat_cuont: 3\n",
     "schedule-key.yaml: unknown schedule key 'repeat_cuont' (did you mean 'repeat_count'?)"),
    ("schedule-gap.yaml",
     "service: Elevation\nregion: area.geojson\nschedule:\n  start_at: 2030-01-01\n"
     "  repeat_count: 3\n",
     "schedule-gap.yaml: schedule: a schedule that repeats needs repeat_every"),
    ("schedule-soon.yaml",
     "service: Elevation\nregion: area.geojson\nschedule:\n  start_at: 2030-01-01\n"
     "  repeat_count: 3\n  repeat_every: soon\n",
     "schedule-soon.yaml: schedule.repeat_every: 'soon' is not a duration such as 30m"),
    ("schedule-count.yaml",
     "service: Elevation\nregion: area.geojson\nschedule:\n  start_at: 2030-01-01\n"
     "  repeat_count: 0\n",
     "schedule-count.yaml: schedule: repeat_count must be at least 1"),
    ("bad.json", '{"service": "Elevation", "region": "area.geojson",}',
     "bad.json: not valid JSON: Expecting property name enclosed in double quotes "
     "(line 1, column 51)"),
    ("unknown-option.yaml", "service: Elevation\nregion: area.geojson\noptions:\n"
     "  resolutoin: 30\n", "Elevation has no option 'resolutoin' (did you mean 'resolution'?)"),
    ("unit.yaml", "service: Elevation\nregion: area.geojson\noptions:\n  resolution: 30m\n",
     "option 'resolution' expects a number, got '30m': units are not accepted; give a plain "
     "number in m, such as 30"),
    ("bool.yaml", "service: Elevation\nregion: area.geojson\noptions:\n  fill_voids: maybe\n",
     "option 'fill_voids' expects a boolean"),
    ("choice.yaml", "service: Elevation\nregion: area.geojson\noptions:\n  dem_source: srtn\n",
     "option 'dem_source' must be one of COPERNICUS, SRTM, ALOS; got 'srtn' "
     "(did you mean 'SRTM'?)"),
    ("date.yaml", "service: Vegetation Index\nregion: area.geojson\noptions:\n"
     "  start_date: next tuesday\n  end_date: 2024-06-01T00:00:00Z\n",
     "option 'start_date' expects an ISO 8601 date-time such as 2024-05-01T00:00:00Z, "
     "got 'next tuesday'"),
    ("date32.yaml", "service: Vegetation Index\nregion: area.geojson\noptions:\n"
     "  start_date: 2024-05-32\n", "date32.yaml: not valid YAML: day is out of range for month"),
    ("unknown-service.yaml", "service: Elevatoin\nregion: area.geojson\n",
     "no service 'Elevatoin' on mock"),
    ("input-type.yaml", "service: Vegetation Index\nregion: area.geojson\noptions:\n"
     "  start_date: 2024-05-01T00:00:00Z\n  end_date: 2024-06-01T00:00:00Z\n"
     "inputs:\n  2: area.geojson\n",
     "input mask takes a GeoTIFF file (.tif, .tiff, .dem, .jp2), not area.geojson"),
    ("input-missing.yaml", "service: Vegetation Index\nregion: area.geojson\noptions:\n"
     "  start_date: 2024-05-01T00:00:00Z\n  end_date: 2024-06-01T00:00:00Z\n"
     "inputs:\n  mask: mask.tif\n", "input mask: no such file"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_JOB_FILES,
                         ids=[case[0] for case in BAD_JOB_FILES])
def test_a_bad_job_file_exits_2_with_one_line_and_creates_nothing(folder, name, content,
                                                                  message):
    path = write(folder, name, content)
    result = invoke("run", "--from", str(path))
    assert result.exit_code == 2, result.output + result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.output + result.stderr
    assert result.stdout == ""
    assert jobs_now() == []
    assert json.loads(invoke("--json", "credits").stdout) == {"credits": 1000}


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--from", "nowhere.yaml"], "error: no such job file: nowhere.yaml"),
    (["run", "--from", "."], "error: . is a directory, not a job file"),
    (["run"], "error: no service given: name one (eojobs run SERVICE -r REGION) or give "
              "--from FILE with a 'service' key"),
    (["run", "elevation"], "error: no region given: pass --region (-r), or --from FILE with "
                           "a 'region' key"),
    (["run", "elevation", "-r", str(GLASGOW), "-o", "resolution=10", "-o", "resolution=20"],
     "'resolution' is given twice"),
])
def test_run_without_what_it_needs_exits_2(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert jobs_now() == []


def test_a_job_file_without_a_region_asks_for_one(folder):
    path = write(folder, "job.yaml", "service: Elevation\n")
    result = invoke("run", "--from", str(path))
    assert result.exit_code == 2
    assert "no region given: pass --region (-r), or --from FILE" in result.stderr
    assert jobs_now() == []


# Running from a job file


def test_run_from_a_job_file_and_tell_about_utc(folder):
    result = invoke("run", "--from", str(folder / "veg.yaml"), "--no-wait")
    assert result.exit_code == 0, result.stderr
    assert "option 'end_date': no timezone given, assuming UTC" in result.stderr
    assert "start_date" not in result.stderr
    [job] = jobs_now()
    assert job["name"] == "summer" and job["service_name"] == "Vegetation Index"
    assert job["options"]["index"] == "EVI"
    assert job["options"]["end_date"] == "2024-06-01T00:00:00+00:00"


def test_the_utc_notice_is_quiet_with_q(folder):
    result = invoke("-q", "run", "--from", str(folder / "veg.yaml"), "--no-wait")
    assert result.exit_code == 0 and result.stderr == ""


def test_flags_override_the_job_file_one_by_one(folder):
    write(folder, "sched.yaml", VEG + "schedule:\n  start_at: 2030-01-01T06:00:00Z\n"
          "  repeat_count: 7\n  repeat_every: 1d\n")
    result = invoke("--json", "run", "Elevation", "--from", str(folder / "sched.yaml"),
                    "-r", "-4.3,55.8,-4.2,55.9", "-n", "other", "--repeat-count", "2",
                    "--no-wait")
    assert result.exit_code == 2
    assert "Elevation has no option 'start_date'" in result.stderr
    assert jobs_now() == []
    result = invoke("--json", "run", "--from", str(folder / "sched.yaml"),
                    "-r", "-4.3,55.8,-4.2,55.9", "-n", "other", "--repeat-count", "2",
                    "-o", "index=savi", "-o", "resolution=20", "--no-wait")
    assert result.exit_code == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["name"] == "other" and job["service_name"] == "Vegetation Index"
    assert job["options"]["index"] == "SAVI" and job["options"]["resolution"] == 20
    assert job["options"]["start_date"] == "2024-05-01T00:00:00+00:00"
    assert job["schedule"]["repeat_count"] == 2
    assert job["schedule"]["start_at"].startswith("2030-01-01T06:00:00")
    assert job["schedule"]["repeat_every"] == "P1D"
    defined = yaml.safe_load(invoke("define", job["id"]).stdout)
    assert Region.parse(defined["region"]).bounds == pytest.approx((-4.3, 55.8, -4.2, 55.9))


def test_a_relative_job_file_finds_its_region_wherever_you_run_it(folder, monkeypatch):
    monkeypatch.chdir(folder.parent)
    result = invoke("--json", "run", "--from", "jobs/veg.yaml", "--no-wait")
    assert result.exit_code == 0, result.stderr


# define, and the round trip


def equivalent(first: dict, second: dict) -> None:
    for key in ("service_name", "options", "schedule"):
        assert first[key] == second[key], key


@pytest.mark.parametrize("as_json", [False, True])
def test_define_then_run_from_recreates_an_equivalent_job(tmp_path, as_json):
    created = invoke("--json", "run", "vegetation", "-r", str(GLASGOW), "-n", "original",
                     "-o", "start_date=2024-05-01T00:00:00Z", "-o", "end_date=2024-06-01Z",
                     "-o", "index=evi", "-o", "mask_clouds=no", "--start-at",
                     "2030-01-01T06:00:00", "--repeat-count", "3", "--repeat-every", "90m",
                     "--no-wait")
    assert created.exit_code == 0, created.stderr
    original = json.loads(created.stdout)
    flags = ["--json"] if as_json else []
    defined = invoke(*flags, "define", original["id"])
    assert defined.exit_code == 0, defined.stderr
    document = json.loads(defined.stdout) if as_json else yaml.safe_load(defined.stdout)
    assert document["service"] == "Vegetation Index" and document["name"] == "original"
    assert document["schedule"] == {"start_at": "2030-01-01T06:00:00+00:00",
                                    "repeat_count": 3, "repeat_every": "90m"}
    path = tmp_path / ("job.json" if as_json else "job.yaml")
    path.write_text(defined.stdout)
    again = invoke("--json", "run", "--from", str(path), "--no-wait")
    assert again.exit_code == 0, again.stderr
    copy = json.loads(again.stdout)
    assert copy["id"] != original["id"] and copy["name"] == "original"
    equivalent(original, copy)
    assert copy["price"] == original["price"]
    redefined = invoke(*flags, "define", copy["id"])
    assert redefined.stdout == defined.stdout


def test_define_writes_block_yaml_with_one_line_coordinates(conn):
    job = conn.create_job("Elevation", (-4.3, 55.8, -4.2, 55.9), name="box")
    text = dump_job_document(job_document(job))
    assert text.startswith("service: Elevation\nname: box\nregion:\n  type: Polygon\n")
    assert "  - - [-4.2, 55.8]\n" in text
    assert "options:\n  resolution: 30\n  dem_source: COPERNICUS\n  fill_voids: true\n" in text
    assert "schedule" not in text


def test_define_of_an_unknown_job_exits_2():
    result = invoke("define", "0000dead")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: no job 0000dead on the mock platform"


def test_duplicate_keys_are_refused_with_their_line(folder):
    path = write(folder, "job.yaml", "service: Elevation\nregion: 1,2,3,4\nservice: Other\n")
    with pytest.raises(eojobs.JobFileError, match=r"key 'service' is given twice \(again at "
                                                   r"line 3\); give it once"):
        load_job_file(path)
    path = write(folder, "job.json", '{"options": {"resolution": 30, "resolution": 50}}')
    with pytest.raises(eojobs.JobFileError, match="key 'resolution' is given twice"):
        load_job_file(path)


def test_yaml_scalars_are_not_changed_behind_the_user(folder):
    path = write(folder, "job.yaml", "options:\n  label: 0123\n  time: 1:30\n  version: 1.10\n"
                 "  answer: no\n  size: 30\n  ratio: 0.5\n  flag: true\n")
    assert load_job_file(path).options == {"label": "0123", "time": "1:30", "version": "1.10",
                                           "answer": "no", "size": 30, "ratio": 0.5,
                                           "flag": True}

