"""Eight `eojobs download` processes of one job into one folder: every file whole, every
manifest entry kept, no stray partial files."""

from __future__ import annotations

import json
import subprocess

from eojobs.manifest import MANIFEST
from eojobs.naming import BOOKKEEPING
from tests.faults.conftest import WIDE, faulty_server, finished_job
from tests.faults.test_interrupt import eojobs_command, served_copy

PROCESSES = 8


def test_eight_processes_downloading_one_job_into_one_folder_agree(user_dir, tmp_path,
                                                                   fusion_env):
    server = faulty_server(user_dir, "seed=0")
    fusion_env(server)
    out = tmp_path / "out"
    children: list[subprocess.Popen[str]] = []
    try:
        job, result = finished_job(server, WIDE, "crowd")
        where = {result.relative_path(a).as_posix(): a.href for a in result.assets}
        children = [subprocess.Popen(eojobs_command("download", job.id, "--dir", str(out),
                                                    "--parallel", "4"),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
                    for _ in range(PROCESSES)]
        outcomes = [(child.returncode, errors)
                    for child, (_, errors) in ((c, c.communicate(timeout=300))
                                               for c in children)]
        expected = {name: served_copy(server, href) for name, href in where.items()}
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
        server.shutdown()

    assert [code for code, _ in outcomes] == [0] * PROCESSES, outcomes
    assert len(expected) > 50
    on_disk = {p.relative_to(out).as_posix(): p for p in out.rglob("*") if p.is_file()}
    assert sorted(on_disk) == sorted([*expected, MANIFEST])
    assert {name: on_disk[name].read_bytes() for name in expected} == expected
    manifest = json.loads((out / MANIFEST).read_text())
    assert sorted(manifest) == sorted(expected)
    assert {entry["job"] for entry in manifest.values()} == {job.id}
    assert sorted(p.name for p in (out / BOOKKEEPING).iterdir()) == ["manifest.json"]
