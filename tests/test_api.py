"""The Python API is discoverable: dir(), help() and a REPL show what is there."""

from __future__ import annotations

import pydoc
import subprocess
import sys

import eojobs
from tests.conftest import GLASGOW


def test_dir_lists_the_public_names_before_they_are_loaded():
    script = ("import eojobs, sys; names = dir(eojobs); "
              "print('eojobs.job' in sys.modules, ' '.join(names))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    loaded, names = done.stdout.split(" ", 1)
    assert loaded == "False"  # listing names imports nothing heavy
    public = [n for n in names.split() if not n.startswith("_")]
    assert {"connect", "Region", "Job", "Result", "Connection", "EOJobsError", "WaitTimeout",
            "NotStarted", "NoResults", "JobFailed"} <= set(public)
    assert public == sorted(eojobs.__all__)
    assert "__version__" in names.split()


def test_help_shows_the_api():
    text = pydoc.render_doc(eojobs, renderer=pydoc.plaintext)
    for name in ("connect(", "class Region", "class Job", "class Result", "class WaitTimeout"):
        assert name in text, name


def test_reprs_read_well_in_a_repl(conn):
    service = conn.service("Elevation")
    assert repr(service) == (f"<Service 'Elevation' {service.id} (resolution, dem_source, "
                             "fill_voids)>")
    assert str(service) == "Elevation: Digital elevation model of the region, with statistics."
    assert str(service.options[0]).startswith("resolution: number")
    job = conn.create_job("Elevation", GLASGOW)
    assert repr(job) == f"<Job {job.id} 'Elevation' created 0%, 3.29 credits>"
    assert str(job) == f"job {job.id} (Elevation, created)"
    assert repr(job.info) == f"<JobInfo {job.id} 'Elevation' created 0%>"
    job.start_and_wait(progress=False)
    result = job.results()
    assert repr(result).startswith(f"<Result of job {job.id}: 4 files (")
    asset = next(a for a in result.assets if a.name == "elevation.tif")
    assert repr(asset) == (f"<Asset 'elevation.tif' of Elevation, {asset.size} B, "
                           f"{asset.media_type}>")
    assert str(asset) == "elevation.tif"
    entry = job.logs()[0]
    assert repr(entry) == f"<LogEntry {entry}>"
    assert str(entry).startswith(f"{entry.time:%Y-%m-%d %H:%M:%S} INFO Elevation: ")


def test_wrong_kinds_of_arguments_are_clear_errors(conn):
    import pytest

    with pytest.raises(eojobs.InputError, match="a service is named by its name or id"):
        conn.create_job(None, GLASGOW)
    with pytest.raises(eojobs.OptionError, match="options are a mapping of names to values"):
        conn.create_job("Elevation", GLASGOW, options="resolution=30")
    assert conn.jobs() == []


def test_backend_names_ignore_case_and_suggest():
    import pytest

    with eojobs.connect("MOCK") as conn:
        assert conn.name == "mock"
    with pytest.raises(eojobs.ConfigError, match=r"no backend named 'mok' \(did you mean "
                                                 r"'mock'\?\); installed backends: "):
        eojobs.connect("mok")


def test_models_take_plain_values_as_a_plugin_may_give_them():
    import pytest

    from eojobs.models import JobInfo, OptionSpec, Service

    info = JobInfo(id="1", name="n", service_id="s", service_name="x", status="running",
                   executions=[{"id": "e", "status": "pending"}],
                   schedule={"start_at": "2030-01-01T06:00Z"})
    assert info.status is eojobs.JobStatus.RUNNING and not info.status.finished
    assert info.executions[0].status is eojobs.ExecutionStatus.PENDING
    assert info.schedule.start_at.isoformat() == "2030-01-01T06:00:00+00:00"
    service = Service(id="a", name="b", options=[{"name": "o", "data_type": "number"}])
    assert service.option("o") == OptionSpec(name="o", data_type=eojobs.DataType.NUMBER)
    with pytest.raises(TypeError, match="JobInfo.status: 'nope' is not a JobStatus"):
        JobInfo(id="1", name="n", service_id="s", service_name="x", status="nope")
