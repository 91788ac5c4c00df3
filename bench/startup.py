"""Start-up of eojobs commands against `python -c "import click"`, measured in the same run.

Usage: python bench/startup.py [--runs N]
Targets: `eojobs --help` at most 2x the reference (issue 2); `eojobs services`
on the mock at most 3x (issue 9). `eojobs jobs` is shown against the same 3x.

Every command runs with a fresh EOJOBS_HOME in a temporary folder (the mock
platform's database is created, and one job made, before timing) and with
bytecode cached in a temporary PYTHONPYCACHEPREFIX, as an installed package
has it, even where PYTHONDONTWRITEBYTECODE is set. Beside the wall-clock
time it prints the CPU time (user + system) of each command, which a busy
machine disturbs less; the targets are judged on wall-clock time.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE = "python -c 'import click' (reference)"
TARGETS = {"eojobs --help": 2.0, "eojobs services": 3.0, "eojobs jobs": 3.0}
#: What any command that returns pydantic models pays before eojobs itself.
FLOOR = ("import click, pluggy\n"
         "from pydantic import BaseModel\n"
         "class Model(BaseModel):\n"
         "    name: str\n")
MAKE_JOB = ("import eojobs\n"
            "with eojobs.connect('mock') as conn:\n"
            "    conn.create_job('Elevation', (-4.3, 55.8, -4.2, 55.9), name='bench')\n")


def children_cpu() -> float:
    try:
        import resource
    except ImportError:  # Windows
        return math.nan
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(cases: dict[str, list[str]], runs: int,
          env: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Median wall-clock and CPU seconds of each case, run in turn so that all see the same load."""
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, cmd in cases.items():
            start, start_cpu = time.perf_counter(), children_cpu()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=True, env=env)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(children_cpu() - start_cpu)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name]))
            for name in cases}


def bench_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EOJOBS_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["EOJOBS_HOME"] = str(folder / "home")
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    exe = shutil.which("eojobs", path=str(Path(sys.executable).parent)) or "eojobs"
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        REFERENCE: [sys.executable, "-c", "import click"],
        "floor: click, pluggy, one pydantic model": [sys.executable, "-c", FLOOR],
        "eojobs --help": [exe, "--help"],
        "eojobs backends": [exe, "backends"],
        "eojobs services": [exe, "services"],
        "eojobs jobs": [exe, "jobs"],
    }
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as folder:
        env = bench_env(Path(folder))
        subprocess.run([sys.executable, "-c", MAKE_JOB], check=True, env=env)
        timed(cases, 2, env)  # fill the bytecode cache and the file cache
        results = timed(cases, args.runs, env)
    ref_wall, ref_cpu = results[REFERENCE]
    print(f"median of {args.runs} runs each{'':14s}wall               cpu")
    for name, (wall, cpu) in results.items():
        print(f"  {name:40s} {wall * 1000:7.1f} ms {wall / ref_wall:5.2f}x   "
              f"{cpu * 1000:7.1f} ms {cpu / ref_cpu:5.2f}x")
    for name, target in TARGETS.items():
        ratio = results[name][0] / ref_wall
        verdict = "ok" if ratio <= target else "MISSED"
        print(f"{name} / import click = {ratio:.2f} (target <= {target:.2f}) {verdict}; "
              f"cpu {results[name][1] / ref_cpu:.2f}")


if __name__ == "__main__":
    main()
