"""A campaign on the in-process mock, FeatureCollection to every file downloaded (issue 14).

Usage: python bench/batch_campaign.py [--sizes 100,1000] [--runs 3] [--status-rows 10000]
       [--no-download] [--speed 100000]

For each size N, builds a FeatureCollection of N distinct small boxes around
Glasgow and runs `eojobs -q batch run elevation --regions FC --dir DIR
--download` as a user would (a child process, the CLI's default caps, a
fresh EOJOBS_HOME in a temporary folder, EOJOBS_MOCK_SPEED high). It checks
that every row is done and every row's folder holds its files, and prints
the median wall time, the time per job and how the time per job grows from
one size to the next (1.00 is linear). Target (issue 14): 1,000 jobs in
under 30 s on 2 cores. `--sizes 100,1000,10000` gives the 10,000-row figure
too (minutes, and about 300 MB of files).

Then it adds --status-rows rows (not run) to a campaign and times
`eojobs -q batch status DIR` against two references run in the same loop:
`python -c "import click"` (start-up) and a child process that opens the
database with sqlite3 and counts rows by state; and the same status on a
100-row campaign, to show it does not grow with the rows. In-process,
`Campaign.status()` is timed against the bare GROUP BY query.

Runs of all cases are interleaved so that each sees the same load; the
machine may be shared, so medians are printed, with CPU time beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from startup import children_cpu  # bench/, the script's own folder

SERVICE = "elevation"
#: A box is this many degrees wide; boxes sit on a grid of 100 columns, a box apart.
BOX = 0.005
STEP = 0.006
COUNT_QUERY = ("import sqlite3, sys\n"
               "db = sqlite3.connect(sys.argv[1])\n"
               "print(db.execute('SELECT state, COUNT(*) FROM batch_rows GROUP BY state')"
               ".fetchall())\n")


def feature_collection(path: Path, count: int) -> Path:
    """``count`` distinct boxes of about 300 m around Glasgow, keyed ``r00000`` on."""
    features = []
    for i in range(count):
        x, y = -4.6 + (i % 100) * STEP, 55.6 + (i // 100) * STEP
        ring = [[x, y], [x + BOX, y], [x + BOX, y + BOX], [x, y + BOX], [x, y]]
        features.append({"type": "Feature", "properties": {"key": f"r{i:05d}"},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def timed_run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of a child process, and what it printed."""
    start, start_cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, children_cpu() - start_cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return wall, cpu, done.stdout


def bench_env(home: Path, speed: float) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EOJOBS_")}
    env["EOJOBS_HOME"] = str(home)
    env["EOJOBS_MOCK_SPEED"] = str(speed)
    # A new mock account has 1,000 credits; 10,000 jobs at about 1 credit each need more.
    env["EOJOBS_MOCK_INITIAL_CREDITS"] = "1000000"
    return env


def eojobs_exe() -> str:
    return shutil.which("eojobs", path=str(Path(sys.executable).parent)) or "eojobs"


def run_campaign(root: Path, regions: Path, size: int, speed: float,
                 download: bool) -> tuple[float, float]:
    """One campaign of ``size`` rows in a fresh home and folder; wall and CPU seconds."""
    work = Path(tempfile.mkdtemp(prefix=f"n{size}-", dir=root))
    env = bench_env(work / "home", speed)
    folder = work / "camp"
    cmd = [eojobs_exe(), "-q", "batch", "run", SERVICE, "--regions", str(regions),
           "--dir", str(folder)] + (["--download"] if download else [])
    wall, cpu, _ = timed_run(cmd, env)
    check(folder, size, download)
    shutil.rmtree(work)
    return wall, cpu


def check(folder: Path, size: int, download: bool) -> None:
    """Every row done, and with downloads, every row's folder holds its files."""
    db = sqlite3.connect(folder / "campaign.db")
    states = dict(db.execute("SELECT state, COUNT(*) FROM batch_rows GROUP BY state"))
    files = [n for (n,) in db.execute("SELECT files FROM batch_rows")]
    db.close()
    assert states == {"done": size}, states
    if download:
        for row in folder.iterdir():
            if row.is_dir():
                assert (row / ".eojobs" / "manifest.json").is_file(), row
        assert all(n and n > 0 for n in files), "a row was done without files"
        assert sum(1 for p in folder.iterdir() if p.is_dir()) == size


def campaigns(root: Path, sizes: list[int], runs: int, speed: float,
              download: bool) -> dict[int, tuple[float, float]]:
    regions = {n: feature_collection(root / f"fc{n}.geojson", n) for n in sizes}
    wall: dict[int, list[float]] = {n: [] for n in sizes}
    cpu: dict[int, list[float]] = {n: [] for n in sizes}
    for run in range(runs):
        for n in sizes:
            w, c = run_campaign(root, regions[n], n, speed, download)
            wall[n].append(w)
            cpu[n].append(c)
            print(f"  run {run + 1}: {n:6d} rows {w:7.2f} s (cpu {c:6.2f} s)", flush=True)
    return {n: (statistics.median(wall[n]), statistics.median(cpu[n])) for n in sizes}


def status_cases(root: Path, rows: int) -> dict[str, list[str]]:
    """A campaign of ``rows`` rows and one of 100, added and not run; the commands to time."""
    home = root / "status-home"
    os.environ["EOJOBS_HOME"] = str(home)
    from eojobs.batch import Campaign

    folders = {}
    for n in (100, rows):
        folder = root / f"status-{n}"
        Campaign.create(folder, SERVICE, feature_collection(root / f"status{n}.geojson", n),
                        backend="mock").close()
        folders[n] = folder
    exe = eojobs_exe()
    return {
        "python -c 'import click' (reference)": [sys.executable, "-c", "import click"],
        f"sqlite3 count by state, {rows} rows (reference)":
            [sys.executable, "-c", COUNT_QUERY, str(folders[rows] / "campaign.db")],
        "eojobs batch status, 100 rows": [exe, "-q", "batch", "status", str(folders[100])],
        f"eojobs batch status, {rows} rows": [exe, "-q", "batch", "status",
                                              str(folders[rows])],
    }


def status_times(cases: dict[str, list[str]], runs: int,
                 env: dict[str, str]) -> dict[str, tuple[float, float]]:
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for cmd in cases.values():  # warm the bytecode and file caches
        timed_run(cmd, env)
    for _ in range(runs):
        for name, cmd in cases.items():
            w, c, _ = timed_run(cmd, env)
            wall[name].append(w)
            cpu[name].append(c)
    return {name: (statistics.median(wall[name]), statistics.median(cpu[name]))
            for name in cases}


def in_process_status(folder: Path, runs: int) -> tuple[float, float]:
    """Median seconds of Campaign.open + status() + close, and of the bare query."""
    from eojobs.batch import Campaign

    ours, bare = [], []
    for _ in range(runs):
        start = time.perf_counter()
        with Campaign.open(folder) as campaign:
            campaign.status()
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        db = sqlite3.connect(folder / "campaign.db")
        db.execute("SELECT state, COUNT(*) FROM batch_rows GROUP BY state").fetchall()
        db.close()
        bare.append(time.perf_counter() - start)
    return statistics.median(ours), statistics.median(bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000",
                        help="campaign sizes, comma-separated (default 100,1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each campaign size")
    parser.add_argument("--status-rows", type=int, default=10_000)
    parser.add_argument("--status-runs", type=int, default=20)
    parser.add_argument("--speed", type=float, default=100_000.0,
                        help="EOJOBS_MOCK_SPEED (the tests' is 100000)")
    parser.add_argument("--no-download", action="store_true",
                        help="run the campaigns without --download")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    download = not args.no_download
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as tmp:
        root = Path(tmp)
        print(f"campaigns of {SERVICE}{' with --download' if download else ''}, "
              f"EOJOBS_MOCK_SPEED={args.speed:g}, {args.runs} run(s) each:")
        results = campaigns(root, sizes, args.runs, args.speed, download)
        cases = status_cases(root, args.status_rows)
        status = status_times(cases, args.status_runs, bench_env(root / "status-home",
                                                                 args.speed))
        ours, bare = in_process_status(root / f"status-{args.status_rows}", args.status_runs)
    print(f"\nmedian of {args.runs} run(s)     wall    per job   growth of per job   cpu")
    previous: tuple[int, float] | None = None
    for n in sizes:
        wall, cpu = results[n]
        per_job = wall / n
        growth = f"{per_job / previous[1]:5.2f}x from {previous[0]}" if previous else ""
        print(f"  {n:6d} rows  {wall:8.2f} s {per_job * 1000:7.1f} ms   {growth:18s} "
              f"{cpu:7.2f} s")
        previous = (n, per_job)
    if 1000 in results:
        wall = results[1000][0]
        print(f"1,000 jobs with downloads: {wall:.1f} s (target < 30 s) "
              f"{'ok' if wall < 30 and download else 'MISSED' if download else 'n/a'}")
    print(f"\nstatus, median of {args.status_runs} runs each     wall               cpu")
    ref_wall, ref_cpu = status["python -c 'import click' (reference)"]
    for name, (wall, cpu) in status.items():
        print(f"  {name:46s} {wall * 1000:7.1f} ms {wall / ref_wall:5.2f}x "
              f"{cpu * 1000:7.1f} ms {cpu / ref_cpu:5.2f}x")
    big = status[f"eojobs batch status, {args.status_rows} rows"][0]
    small = status["eojobs batch status, 100 rows"][0]
    sql = status[f"sqlite3 count by state, {args.status_rows} rows (reference)"][0]
    print(f"status of {args.status_rows} rows / import click = {big / ref_wall:.2f}; "
          f"/ sqlite3 count = {big / sql:.2f}; / status of 100 rows = {big / small:.2f}")
    print(f"in-process: Campaign.open + status() {ours * 1000:.2f} ms, bare GROUP BY "
          f"{bare * 1000:.2f} ms ({ours / bare:.2f}x)")


if __name__ == "__main__":
    main()
