"""A download process killed with SIGKILL mid-file continues where it stopped when run again."""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from eojobs.bookkeeping import Bookkeeping
from eojobs_mock.server.faults import parse_faults
from eojobs_mock.server.runner import MockServer
from tests.faults.conftest import connect, faulty_server

FETCH = Path(__file__).with_name("fetch_file.py")
SIZE = 50 * 2**20
#: The first run's downloads trickle at 8 MiB/s, so the kill lands early in the file.
THROTTLE = "8M"
KILL_AT = 2 * 2**20
PATIENCE_S = 60.0


def upload(server: MockServer, source: Path) -> tuple[str, str]:
    """Upload a file as a data item through the Fusion client; its data id and file id."""
    with connect(server) as conn:
        client, org = conn.backend.client, conn.backend.org
        template = client.new_data(org)
        data = client.create_data(org, {**template, "organisation_id": org, "name": "big"})
        file_id, url = client.add_file(org, str(data["id"]), source.name, "Other")
        client.upload(url, source)
    return str(data["id"]), file_id


def wait_until(ready: Callable[[], bool], child: subprocess.Popen[bytes]) -> None:
    """Poll until ``ready``; fail if the child ends first, or after a generous guard."""
    give_up = time.monotonic() + PATIENCE_S
    while not ready():
        assert child.poll() is None, f"the download ended before it could be killed: " \
                                     f"{child.stderr.read() if child.stderr else ''}"
        assert time.monotonic() < give_up, "the download never got going"
        time.sleep(0.005)


def test_a_download_killed_mid_file_resumes_and_ends_identical(user_dir, tmp_path, fusion_env):
    payload = random.Random(5).randbytes(SIZE)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    dest = tmp_path / "down" / "big.bin"
    dest.parent.mkdir()
    part = Bookkeeping(dest.parent).part(dest)
    server = faulty_server(user_dir, f"throttle={THROTTLE},seed=0")
    fusion_env(server)
    try:
        injector = server.faults
        assert injector is not None
        data_id, file_id = upload(server, source)
        command = [sys.executable, str(FETCH), data_id, file_id, "big.bin", str(SIZE), str(dest)]

        first = subprocess.Popen(command, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: part.exists() and part.stat().st_size >= KILL_AT, first)
        finally:
            first.send_signal(signal.SIGKILL)
            first.communicate(timeout=30)
        assert first.returncode == -signal.SIGKILL
        kept = part.stat().st_size
        assert KILL_AT <= kept < SIZE and not dest.exists()

        injector.plan = parse_faults("seed=0")
        seen = len(injector.transfers)
        second = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        again = [t for t in list(injector.transfers)[seen:] if f"/blobs/{file_id}/" in t.path]
    finally:
        server.shutdown()

    assert [(t.range, t.status) for t in again] == [(f"bytes={kept}-", 206)]
    assert again[0].sent == SIZE - kept < SIZE
    assert dest.stat().st_size == SIZE
    assert hashlib.sha256(dest.read_bytes()).digest() == hashlib.sha256(payload).digest()
    assert sorted(p.name for p in dest.parent.iterdir()) == [".eojobs", "big.bin"]
    assert sorted(p.name for p in part.parent.iterdir()) == ["manifest.json"]
