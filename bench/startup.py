"""Start-up of `eojobs --help` against `python -c "import click"`, measured in the same run.

Usage: python bench/startup.py [--runs N]
Target (issue 2): at most 2x the reference.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def timed(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    exe = shutil.which("eojobs", path=str(Path(sys.executable).parent)) or "eojobs"
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click' (reference)": [sys.executable, "-c", "import click"],
        "eojobs --help": [exe, "--help"],
        "eojobs backends": [exe, "backends"],
    }
    timed(cases["eojobs --help"], 3)  # warm the file cache
    results = {name: timed(cmd, args.runs) for name, cmd in cases.items()}
    reference = results["python -c 'import click' (reference)"]
    print(f"median of {args.runs} runs each")
    for name, seconds in results.items():
        print(f"  {name:40s} {seconds * 1000:7.1f} ms   {seconds / reference:5.2f}x reference")
    ratio = results["eojobs --help"] / reference
    print(f"eojobs --help / import click = {ratio:.2f} (target <= 2.00)")


if __name__ == "__main__":
    main()
