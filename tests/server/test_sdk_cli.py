"""The official SDK's CLI (`start`, `display`, `download`), unmodified, against the mock server.

The CLI always asks for the password with prompt_toolkit and offers no flag
for a custom API URL. Each command runs in a child process on a
pseudo-terminal: the test reads the real prompts and types the answers.
The launcher only sets configuration: the ``stage`` deployment's URL is
pointed at the server and the poll period lowered from 10 s.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.conftest import GLASGOW

LAUNCHER = """
import sys
from fusion_platform.command import Command, main
from fusion_platform.session import Session

Session.API_UPDATE_WAIT_PERIOD_DEFAULT = 0.05
Command.DEPLOYMENTS["stage"]["url"] = {url!r}
sys.argv = ["fusion_platform", *sys.argv[1:]]
main()
"""
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_cli(url: str, cwd: Path, args: list[str], answers: list[tuple[str, str]],
            timeout: float = 60.0) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, typing each answer when its prompt appears."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER.format(url=url), *args, "-y", "stage",
         "-e", "me@org.com", "-g", "Demo"],
        stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, start_new_session=True)
    os.close(slave)
    output, seen, pending = b"", 0, list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            if pending and re.search(pending[0][0].encode(), output[seen:]):
                os.write(master, pending.pop(0)[1].encode() + b"\r")
                seen = len(output)
        code = child.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if child.poll() is None:
            child.kill()
        os.close(master)
    assert not pending, f"never prompted for {pending}: {output.decode(errors='replace')}"
    return code, ANSI.sub("", output.decode(errors="replace"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "cli"
    folder.mkdir()
    shutil.copy(GLASGOW, folder / "glasgow.geojson")
    return folder


def test_start_display_and_download(mock_server, workdir, conn):
    code, out = run_cli(mock_server.url, workdir,
                        ["start", "Elevation", "-l", "glasgow.geojson", "-p", "resolution=60",
                         "dem_source=SRTM", "-w"],
                        [("Password", "MyPassword123!"), ("Add Email Dispatcher", ""),
                         ("Add AWS S3", "")])
    assert code == 0, out
    assert "Executing..." in out and "Region (GeoJSON) = Elevation " in out
    jobs = conn.jobs()
    assert len(jobs) == 1 and jobs[0].name.startswith("Elevation ")
    job = jobs[0].wait(progress=False)
    options = mock_server.state.platform.job(job.id).row.options
    assert options["resolution"] == 60 and options["dem_source"] == "SRTM"

    code, out = run_cli(mock_server.url, workdir, ["display", "Elevation"],
                        [("Password", "Not-the-password1"),
                         ("Incorrect username or password[\\s\\S]*Password", "MyPassword123!")])
    assert code == 0, out
    assert "Incorrect username or password" in out
    assert "Resolution ('resolution', numeric) = 60.0" in out and ") = SRTM" in out
    assert f"Execution '{job.executions[0].id}'" in out and ": success" in out

    code, out = run_cli(mock_server.url, workdir, ["download", "Elevation"],
                        [("Password", "MyPassword123!")])
    assert code == 0, out
    assert "Downloading 4 file(s)" in out
    root = workdir / "Elevation"
    files = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
    assert sorted(files) == [
        "1_Elevation/Output_1_elevation_tif/.collection.stac",
        "1_Elevation/Output_1_elevation_tif/.elevation.tif.stac",
        "1_Elevation/Output_1_elevation_tif/elevation.tif",
        "1_Elevation/Output_2_elevation_png/elevation.png",
        "2_Statistics/Output_1_statistics_csv/statistics.csv",
        "2_Statistics/Output_2_footprint_geojson/.collection.stac",
        "2_Statistics/Output_2_footprint_geojson/.footprint.geojson.stac",
        "2_Statistics/Output_2_footprint_geojson/footprint.geojson",
    ]
    expected = {a.name: a.checksum for a in job.results().assets}
    for name, checksum in expected.items():
        path = next(p for key, p in files.items() if key.endswith(f"/{name}"))
        assert hashlib.sha256(path.read_bytes()).hexdigest() == checksum
