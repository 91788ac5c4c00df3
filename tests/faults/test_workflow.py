"""The whole workflow through the Fusion backend while the server fails 10% of requests.

Create, start, wait, list the results and download them: it must end with
every file byte-identical to the server's copy, no partial file left, and
never a file under its final name that is not complete.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eojobs import JobStatus
from eojobs.manifest import MANIFEST
from tests.faults.conftest import WIDE, connect, faulty_server

#: 10% of API requests and 10% of file transfers, every kind of fault. A
#: slow answer waits 20 ms, and a 429 says "Retry-After: 0" to keep the
#: test fast (the header itself is checked in test_injection.py).
FAULTS = "api=0.1,blob=0.1,delay=0.02,retry-after=0"
#: Seeds under which this workflow meets every kind of fault at least three times.
SEEDS = [5, 22]


class FinalNameWatch:
    """A download's cancel callable that never cancels, but checks the folder each time.

    The engine polls it between chunks of every file, so it sees the folder
    while files are being written: a file under its final name must already
    have its full size.
    """

    def __init__(self, target: Path, sizes: dict[str, int]) -> None:
        self.target = target
        self.sizes = sizes
        self.looks = 0
        self.incomplete: set[str] = set()

    def __call__(self) -> bool:
        self.looks += 1
        for folder, _, names in os.walk(self.target):
            for name in names:
                path = Path(folder, name)
                relative = path.relative_to(self.target).as_posix()
                if relative not in self.sizes:
                    continue
                try:
                    size = path.stat().st_size
                except FileNotFoundError:
                    continue
                if size != self.sizes[relative]:
                    self.incomplete.add(relative)
        return False


@pytest.mark.parametrize("seed", SEEDS)
def test_the_workflow_survives_faults_and_every_file_is_identical(user_dir, tmp_path, seed):
    server = faulty_server(user_dir, f"{FAULTS},seed={seed}")
    try:
        with connect(server) as conn:
            job = conn.create_job("Statistics Aggregator", WIDE, name="under fire")
            job.start_and_wait(progress=False, poll_interval=0.05)
            assert job.status is JobStatus.SUCCEEDED
            result = job.results()
            target = tmp_path / "out"
            sizes = {result.relative_path(a).as_posix(): a.size for a in result.assets}
            watch = FinalNameWatch(target, sizes)
            report = result.download(target, progress=False, cancel=watch)
        injector = server.faults
        assert injector is not None
        blobs = server.state.blobs.folder
    finally:
        server.shutdown()

    assert report.ok, report.failed
    assert len(result.assets) >= 100
    assert len(report.done) == len(result.assets)
    assert watch.looks >= len(result.assets) and not watch.incomplete
    for asset in result.assets:
        file_id = asset.href.rpartition("/")[2]
        served = [p for p in blobs.glob(f"{file_id}.*") if not p.name.startswith(".")]
        assert served, f"the server never published {asset.name}"
        mine = (target / result.relative_path(asset)).read_bytes()
        assert mine == served[0].read_bytes(), f"{result.relative_path(asset)} differs"
        assert len(mine) == asset.size
    on_disk = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()}
    assert on_disk == set(sizes) | {MANIFEST}

    api, blob = injector.kinds("api"), injector.kinds("blob")
    assert set(api) == {"5xx", "429", "reset", "truncate", "slow", "expire"}, api
    assert set(blob) >= {"5xx", "429", "reset", "truncate"}, blob
    cut_short = {e.path for e in injector.events if e.kind == "truncate" and e.scope == "blob"}
    for path in cut_short:
        tries = [t for t in injector.transfers if t.path == path]
        assert len(tries) >= 2 and tries[-1].status in (200, 206), (path, tries)
