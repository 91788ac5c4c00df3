"""Start-up of eojobs commands against `python -c "import click"`, measured in the same run.

Usage: python bench/startup.py [--runs N]
Targets: `eojobs --help` at most 2x the reference (issue 2); `eojobs services`
on the mock at most 3x (issue 9). `eojobs jobs` is shown against the same 3x.

Every command runs with a fresh EOJOBS_HOME in a temporary folder (the mock
platform's database is created, and one job made, before timing) and with
bytecode cached in a temporary PYTHONPYCACHEPREFIX, as an installed package
has it, even where PYTHONDONTWRITEBYTECODE is set.
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

REFERENCE = "python -c 'import click' (reference)"
TARGETS = {"eojobs --help": 2.0, "eojobs services": 3.0, "eojobs jobs": 3.0}
MAKE_JOB = ("import eojobs\n"
            "with eojobs.connect('mock') as conn:\n"
            "    conn.create_job('Elevation', (-4.3, 55.8, -4.2, 55.9), name='bench')\n")


def timed(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                       env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


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
        "eojobs --help": [exe, "--help"],
        "eojobs backends": [exe, "backends"],
        "eojobs services": [exe, "services"],
        "eojobs jobs": [exe, "jobs"],
    }
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as folder:
        env = bench_env(Path(folder))
        subprocess.run([sys.executable, "-c", MAKE_JOB], check=True, env=env)
        for cmd in cases.values():  # fill the bytecode cache and the file cache
            timed(cmd, 2, env)
        results = {name: timed(cmd, args.runs, env) for name, cmd in cases.items()}
    reference = results[REFERENCE]
    print(f"median of {args.runs} runs each")
    for name, seconds in results.items():
        print(f"  {name:40s} {seconds * 1000:7.1f} ms   {seconds / reference:5.2f}x reference")
    for name, target in TARGETS.items():
        ratio = results[name] / reference
        verdict = "ok" if ratio <= target else "MISSED"
        print(f"{name} / import click = {ratio:.2f} (target <= {target:.2f}) {verdict}")


if __name__ == "__main__":
    main()
