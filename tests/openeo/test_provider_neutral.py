"""One script, two platforms: only the backend string and its connect settings change."""

from __future__ import annotations

import json

import pytest

import eojobs
from tests.conftest import GLASGOW


def script(backend: str, settings: dict, service: str, directory) -> list[str]:
    """Connect, create a job on a region, start, wait, download, check the files, delete."""
    with eojobs.connect(backend, **settings) as conn:
        region = eojobs.Region.from_file(GLASGOW)
        job = conn.create_job(service, region, name="neutral")
        job.start_and_wait(poll_interval=0.05, progress=False)
        assert job.status is eojobs.JobStatus.SUCCEEDED
        result = job.results()
        report = result.download(directory, progress=False)
        assert report.done and not report.failed
        written = sorted(p.relative_to(directory).as_posix() for p in report.done)
        for asset in result.assets:
            path = directory / result.relative_path(asset)
            assert path.is_file()
            if asset.size is not None:
                assert path.stat().st_size == asset.size
            if asset.media_type == "application/geo+json":
                json.loads(path.read_text())
        job.delete()
        with pytest.raises(eojobs.NotFound):
            job.refresh()
        return written


@pytest.mark.parametrize("backend", ["mock", "openeo"])
def test_the_same_script_runs_on_every_backend(backend, request, tmp_path):
    if backend == "mock":
        settings, service = {}, "Elevation"
    else:
        account = request.getfixturevalue("account")
        settings, service = account.settings, "ndvi"
    assert script(backend, settings, service, tmp_path)
