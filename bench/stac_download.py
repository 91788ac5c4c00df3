"""Scenes from a STAC API: eojobs against pystac-client with plain requests, and curl.

Writes 50 items of 4 assets of 5 MiB each (1000 MiB), serves the files with
`python -m http.server` and the catalogue with `rustac serve`, both on
127.0.0.1 in their own processes, then, in each round, interleaved:

1. eojobs: `eojobs -b stac run COLLECTION -r BBOX --download DIR` (search,
   job, parallel verified download; a fresh process, so start-up counts);
2. reference: a fresh Python process that searches with pystac-client and
   downloads every asset with plain sequential `requests` (what a script
   written with the ecosystem's own libraries does);
3. the same, checking each file's sha256 against its ``file:checksum`` while
   it arrives, as eojobs does;
4. curl: `curl --parallel --parallel-max 4` of the same URLs (the search is
   not timed: curl cannot do it).

Every file each tool wrote is checked against the sha256 it should have.
Prints wall seconds (median of the rounds), MiB/s, and ratios.

Usage: python bench/stac_download.py [--items 50] [--assets 4] [--mib 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stac.servers import RustacServer, collection, free_port, item  # noqa: E402

MIB = 1024 * 1024
BBOX = [-5.0, 55.0, -3.0, 57.0]
REGION = "-4.3,55.8,-4.2,55.9"

REFERENCE = """
import hashlib, os, sys, requests
from pystac_client import Client
url, out, verify = sys.argv[1], sys.argv[2], sys.argv[3] == "verify"
search = Client.open(url).search(collections=["bench"], bbox=[-4.3, 55.8, -4.2, 55.9],
                                 max_items=None)
session = requests.Session()
for found in search.items():
    folder = os.path.join(out, found.id)
    os.makedirs(folder, exist_ok=True)
    for asset in found.assets.values():
        digest = hashlib.sha256()
        with session.get(asset.href, stream=True) as answer:
            answer.raise_for_status()
            with open(os.path.join(folder, asset.href.rsplit("/", 1)[-1]), "wb") as f:
                for chunk in answer.iter_content(1 << 20):
                    f.write(chunk)
                    if verify:
                        digest.update(chunk)
        if verify and "1220" + digest.hexdigest() != asset.extra_fields["file:checksum"]:
            sys.exit(f"{asset.href}: checksum does not match")
"""


def make_files(folder: Path, items: int, assets: int, mib: int) -> dict[str, str]:
    """Write the asset files; their sha256 by name."""
    sums = {}
    block = os.urandom(MIB)
    for n in range(items):
        for k in range(assets):
            name = f"scene{n:03d}_b{k}.bin"
            data = hashlib.sha256(name.encode()).digest() + block * mib
            data = data[:mib * MIB]
            (folder / name).write_bytes(data)
            sums[name] = hashlib.sha256(data).hexdigest()
    return sums


def catalogue(base: str, folder: Path, sums: dict[str, str], items: int,
              assets: int) -> tuple[list[dict], list[dict]]:
    found = []
    for n in range(items):
        files = {}
        for k in range(assets):
            name = f"scene{n:03d}_b{k}.bin"
            files[f"b{k}"] = {"href": f"{base}/{name}", "type": "application/octet-stream",
                              "file:size": (folder / name).stat().st_size,
                              "file:checksum": "1220" + sums[name]}
        found.append(item(f"scene{n:03d}", "bench", BBOX, f"2024-05-01T10:{n % 60:02d}:00Z",
                          files))
    return [collection("bench", BBOX, "2024-01-01T00:00:00Z", None)], found


def check(out: Path, sums: dict[str, str], what: str) -> None:
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
           for p in out.rglob("*.bin") if ".eojobs" not in p.parts}
    if got != sums:
        missing = len(set(sums) - set(got))
        wrong = sum(1 for k in got if got[k] != sums.get(k))
        raise SystemExit(f"{what}: {missing} files missing, {wrong} wrong")


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    spent = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {done.stderr[-2000:]}")
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--assets", type=int, default=4)
    parser.add_argument("--mib", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    total = args.items * args.assets * args.mib
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = work / "files"
        files.mkdir()
        sums = make_files(files, args.items, args.assets, args.mib)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                                   "127.0.0.1", "--directory", str(files)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        api_dir = work / "api"
        api_dir.mkdir()
        cols, items = catalogue(f"http://127.0.0.1:{port}", files, sums, args.items,
                                args.assets)
        api = RustacServer(api_dir, cols, items)
        try:
            urls = [a["href"] for i in items for a in i["assets"].values()]
            times: dict[str, list[float]] = {"eojobs": [], "pystac-client + requests": [],
                                             "the same + sha256 check": []}
            curl = shutil.which("curl")
            if curl:
                times["curl --parallel"] = []
            exe = shutil.which("eojobs", path=str(Path(sys.executable).parent)) or "eojobs"
            for round_ in range(args.rounds):
                env = {**os.environ, "EOJOBS_HOME": str(work / f"home{round_}"),
                       "EOJOBS_STAC_URL": api.url}
                out = work / f"eojobs{round_}"
                times["eojobs"].append(timed(
                    [exe, "-q", "-b", "stac", "run", "bench", "-r", REGION, "-o",
                     f"limit={args.items}", "--download", str(out)], env))
                check(out, sums, "eojobs")
                shutil.rmtree(out)
                for name, verify in (("pystac-client + requests", "plain"),
                                     ("the same + sha256 check", "verify")):
                    out = work / f"reference{round_}"
                    times[name].append(timed(
                        [sys.executable, "-c", REFERENCE, api.url, str(out), verify], env))
                    check(out, sums, name)
                    shutil.rmtree(out)
                if curl:
                    out = work / f"curl{round_}"
                    out.mkdir()
                    config = work / "curl.txt"
                    config.write_text("".join(
                        f'url = "{u}"\noutput = "{out}/{u.rsplit("/", 1)[-1]}"\n'
                        for u in urls))
                    times["curl --parallel"].append(timed(
                        [curl, "-sS", "--fail", "--parallel", "--parallel-max", "4",
                         "-K", str(config)], env))
                    check(out, sums, "curl")
                    shutil.rmtree(out)
        finally:
            api.stop()
            server.terminate()
            server.wait()
    print(f"{args.items} items x {args.assets} assets x {args.mib} MiB = {total} MiB, "
          f"median of {args.rounds} rounds, every file's sha256 checked")
    base = statistics.median(times["eojobs"])
    for name, spent in times.items():
        median = statistics.median(spent)
        print(f"  {name:26s} {median:6.2f} s  {total / median:7.1f} MiB/s  "
              f"eojobs takes {base / median:4.2f}x its time")
    print(json.dumps({k: [round(v, 3) for v in vs] for k, vs in times.items()}))


if __name__ == "__main__":
    main()
