"""The official SDK's own quick example, unmodified, against `eojobs mock serve`.

The example runs in a child process with runpy. Two things are set around
it, nothing in it: ``fusion_platform.login`` is wrapped to pass the server's
``api_url``, and the SDK's poll period is lowered from 10 s.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

from tests.conftest import GLASGOW

DRIVER = """
import os, runpy
import fusion_platform
from fusion_platform.session import Session

Session.API_UPDATE_WAIT_PERIOD_DEFAULT = 0.05
_login = fusion_platform.login

def login(*args, **kwargs):
    kwargs.setdefault("api_url", {url!r})
    return _login(*args, **kwargs)

fusion_platform.login = login
example = os.path.join(os.path.dirname(fusion_platform.__file__), "quick_example.py")
runpy.run_path(example, run_name="__main__")
"""


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_quick_example_runs_end_to_end_and_downloads_the_outputs(mock_server, tmp_path,
                                                                      conn):
    assert (mock_server.email, mock_server.password) == ("me@org.com", "MyPassword123!")
    work = tmp_path / "example"
    work.mkdir()
    done = subprocess.run([sys.executable, "-c", DRIVER.format(url=mock_server.url)], cwd=work,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["Price: 3.29", "Downloading Elevation",
                                        "Downloading Statistics"]
    files = {p.relative_to(work).as_posix(): sha256(p) for p in work.rglob("*") if p.is_file()}
    assert sorted(files) == ["component_0/0/elevation.tif", "component_0/1/elevation.png",
                             "component_1/0/statistics.csv", "component_1/1/footprint.geojson"]
    assert conn.jobs() == [], "the example deletes its process"
    same = conn.create_job("Elevation", GLASGOW).start_and_wait(progress=False)
    expected = {a.name: a.checksum for a in same.results().assets}
    assert {path.rsplit("/", 1)[1]: digest for path, digest in files.items()} == expected
