"""`eojobs -b fusion run ... --download` against the official Fusion SDK doing the same work.

Both run, in the same session, against `eojobs mock serve` on 127.0.0.1: log
in, upload Glasgow, create an Elevation process, execute it, wait, and
download every output. The server counts the HTTP requests each makes.

Usage: python bench/fusion_run.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from request_counter import RequestCounter

REGION = Path(__file__).parent.parent / "tests" / "data" / "glasgow.geojson"

SDK_SCRIPT = """
import os, sys, fusion_platform
url, email, password, region, out = sys.argv[1:6]
user = fusion_platform.login(email=email, password=password, api_url=url,
                             session_options={"api_update_wait_period": 0.2})
organisation = next(user.organisations)
data = organisation.create_data(name="Glasgow", file_type=fusion_platform.FILE_TYPE_GEOJSON,
                                files=[region], wait=True)
service, _ = organisation.find_services(keyword="Elevation")
process = organisation.new_process(name="bench", service=service)
process.update(input_number=1, data=data)
process.create()
process.execute(wait=True)
execution = next(process.executions)
for component in execution.components:
    for output in component.outputs:
        for file in output.files:
            file.download(path=os.path.join(out, file.file_name), wait=True)
"""



def timed(cmd: list[str], env: dict[str, str], counter: RequestCounter) -> tuple[float, int]:
    before = counter.count
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, counter.count - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["EOJOBS_HOME"] = str(home)
        os.environ["EOJOBS_MOCK_SPEED"] = "1000000"
        from eojobs_mock.server.runner import start_server

        counter = RequestCounter().install()
        with start_server(home) as server:
            env = {**os.environ, "EOJOBS_FUSION_API_URL": server.url,
                   "EOJOBS_FUSION_EMAIL": server.email,
                   "EOJOBS_FUSION_PASSWORD": server.password,
                   "EOJOBS_HOME": str(home)}
            exe = shutil.which("eojobs", path=str(Path(sys.executable).parent)) or "eojobs"
            results: dict[str, list[tuple[float, int]]] = {"eojobs": [], "official SDK": []}
            for i in range(args.runs):
                out = Path(tmp) / f"eojobs{i}"
                results["eojobs"].append(timed(
                    [exe, "-q", "-b", "fusion", "run", "elevation", "--region", str(REGION),
                     "--download", str(out)], env, counter))
                out = Path(tmp) / f"sdk{i}"
                out.mkdir()
                results["official SDK"].append(timed(
                    [sys.executable, "-c", SDK_SCRIPT, server.url, server.email,
                     server.password, str(REGION), str(out)], env, counter))
    print(f"Elevation over Glasgow via `eojobs mock serve`, median of {args.runs} runs")
    medians = {}
    for name, samples in results.items():
        wall = statistics.median(s[0] for s in samples)
        calls = statistics.median(s[1] for s in samples)
        medians[name] = (wall, calls)
        print(f"  {name:14s} {wall:6.2f} s wall   {calls:5.0f} HTTP requests")
    ours, theirs = medians["eojobs"], medians["official SDK"]
    print(f"eojobs / SDK: wall {ours[0] / theirs[0]:.2f}x, requests {ours[1] / theirs[1]:.2f}x")


if __name__ == "__main__":
    main()
