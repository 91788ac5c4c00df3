"""Ctrl-C during a slow download stops at once and leaves a ``.part`` the next run resumes."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from eojobs.bookkeeping import Bookkeeping
from eojobs.naming import BOOKKEEPING
from eojobs_mock.server.runner import MockServer
from tests.faults.conftest import faulty_server, finished_job, use
from tests.faults.test_resume import wait_until

#: A region whose elevation raster is over 64 KiB: more than 16 s at THROTTLE.
REGION = (-4.4, 55.7, -4.0, 56.0)
THROTTLE = "4K"
#: Bytes of the raster to have on disk before Ctrl-C.
INTERRUPT_AT = 8 << 10
#: A hang guard, not a speed claim: waiting to fill a 1 MiB buffer took the rest of the file.
STOPS_WITHIN_S = 5.0


def eojobs_command(*args: str) -> list[str]:
    exe = shutil.which("eojobs", path=str(Path(sys.executable).parent))
    assert exe is not None, "the eojobs console script is not installed beside python"
    return [exe, "--backend", "fusion", "--quiet", *args]


def served_copy(server: MockServer, href: str) -> bytes:
    """The bytes the server serves for an asset's file (published once per signed URL)."""
    file_id = href.rpartition("/")[2]
    copies = {p.read_bytes() for p in server.state.blobs.folder.glob(f"{file_id}.*")
              if not p.name.startswith(".")}
    assert len(copies) == 1, f"{len(copies)} different copies of {href}"
    return copies.pop()


def test_ctrl_c_stops_a_slow_download_at_once_and_the_next_run_resumes(user_dir, tmp_path,
                                                                       fusion_env):
    server = faulty_server(user_dir, "seed=0")
    fusion_env(server)
    out = tmp_path / "out"
    try:
        job, result = finished_job(server, REGION, "slow")
        big = max(result.assets, key=lambda a: a.size or 0)
        assert big.size is not None and big.size > 8 * INTERRUPT_AT
        where = {a.href: result.relative_path(a).as_posix() for a in result.assets}
        dest = out / result.relative_path(big)
        part = Bookkeeping(out).part(dest)
        injector = server.faults
        assert injector is not None

        use(server, f"throttle={THROTTLE},seed=0")
        first = subprocess.Popen(eojobs_command("download", job.id, "--dir", str(out)),
                                 stderr=subprocess.PIPE, text=True)
        try:
            wait_until(lambda: part.exists() and part.stat().st_size >= INTERRUPT_AT, first)
        except BaseException:
            first.kill()
            raise
        first.send_signal(signal.SIGINT)
        sent_at = time.monotonic()
        try:
            _, errors = first.communicate(timeout=STOPS_WITHIN_S)
        except subprocess.TimeoutExpired:
            first.kill()
            raise AssertionError("the download did not stop after Ctrl-C") from None
        assert time.monotonic() - sent_at < STOPS_WITHIN_S
        assert first.returncode == 130, errors
        assert f"Resume with: eojobs -b fusion download {job.id} --dir {out}\n" in errors

        kept = part.read_bytes()
        assert INTERRUPT_AT <= len(kept) < big.size and not dest.exists()
        finished = {name: (out / name).read_bytes() for name in where.values()
                    if (out / name).exists()}

        use(server, "seed=0")
        seen = len(injector.transfers)
        second = subprocess.run(eojobs_command("download", job.id, "--dir", str(out)),
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        again = [t for t in list(injector.transfers)[seen:]
                 if big.href.rpartition("/")[2] in t.path]
        expected = {where[a.href]: served_copy(server, a.href) for a in result.assets}
    finally:
        server.shutdown()

    assert kept == expected[where[big.href]][:len(kept)]
    assert all(data == expected[name] for name, data in finished.items())
    assert [(t.range, t.status) for t in again] == [(f"bytes={len(kept)}-", 206)]
    assert {name: (out / name).read_bytes() for name in where.values()} == expected
    assert sorted(p.name for p in (out / BOOKKEEPING).iterdir()) == ["manifest.json"]
