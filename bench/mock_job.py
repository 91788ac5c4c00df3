"""One full in-process mock job, create to download, at test speed.

Usage: python bench/mock_job.py [--runs N]
Reference, measured in the same run: copying the same output files with
shutil (the floor for getting those bytes onto disk). Target (issue 2):
under 0.2 s per job.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

REGION = Path(__file__).parent.parent / "tests" / "data" / "glasgow.geojson"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EOJOBS_HOME"] = str(Path(tmp) / "home")
        os.environ["EOJOBS_MOCK_SPEED"] = "1000000"
        import eojobs

        conn = eojobs.connect("mock")
        conn.create_job("Elevation", REGION).start_and_wait(progress=False)  # warm up
        stages: dict[str, list[float]] = {"create": [], "wait": [], "results": [],
                                          "download": [], "total": [], "copy (reference)": []}
        for i in range(args.runs):
            t0 = time.perf_counter()
            job = conn.create_job("Elevation", REGION, options={"resolution": 30 + i})
            t1 = time.perf_counter()
            job.start_and_wait(progress=False)
            t2 = time.perf_counter()
            result = job.results()
            t3 = time.perf_counter()
            report = result.download(Path(tmp) / f"out{i}", progress=False)
            t4 = time.perf_counter()
            assert report.ok and len(report.done) == 4
            for stage, seconds in zip(("create", "wait", "results", "download", "total"),
                                      (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0), strict=True):
                stages[stage].append(seconds)
            start = time.perf_counter()
            target = Path(tmp) / f"copy{i}"
            target.mkdir()
            for path in report.done:
                shutil.copyfile(path, target / path.name)
            stages["copy (reference)"].append(time.perf_counter() - start)
        conn.close()
    print(f"Elevation over Glasgow, median of {args.runs} jobs")
    for stage, samples in stages.items():
        print(f"  {stage:18s} {statistics.median(samples) * 1000:8.2f} ms")
    total = statistics.median(stages["total"])
    download = statistics.median(stages["download"])
    copy = statistics.median(stages["copy (reference)"])
    print(f"total per job: {total:.3f} s (target < 0.2 s)")
    print(f"download / plain copy of the same files = {download / copy:.1f}x")


if __name__ == "__main__":
    main()
