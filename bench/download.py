"""Download throughput: the eojobs engine against curl and the official Fusion SDK.

Starts `eojobs mock serve` in its own process on 127.0.0.1, uploads the test
files through the API, then downloads them from signed URLs:

1. one large file: eojobs (Fusion backend + download engine), `curl -o`, and
   the SDK's `DataFile.download`;
2. many files: eojobs with `--parallel 4` and `8`, `curl --parallel`, and the
   SDK downloading every file on its own threads;

and prints MiB/s, ratios to curl, and CPU seconds per GiB.

Every case runs once per round, the rounds interleaving the tools; the
figures are medians.

Usage: python bench/download.py [--big-mib 1024] [--files 200] [--file-mib 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024

SDK_SCRIPT = """
import os, sys, threading, fusion_platform
url, email, password, data_name, out = sys.argv[1:6]
user = fusion_platform.login(email=email, password=password, api_url=url)
organisation = next(user.organisations)
data, _ = organisation.find_data(name=data_name)
files = list(data.files)
for file in files:
    file.download(path=os.path.join(out, file.file_name))
for file in files:
    file.download_complete(wait=True)
"""


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(fn) -> tuple[float, float]:
    start, used = time.perf_counter(), cpu()
    fn()
    return time.perf_counter() - start, cpu() - used


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("eojobs", path=str(Path(sys.executable).parent)) or "eojobs"
    env = {**os.environ, "EOJOBS_HOME": str(home)}
    server = subprocess.Popen([exe, "mock", "serve", "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True, env=env)
    line = server.stdout.readline() if server.stdout else ""
    url = next(word for word in line.split() if word.startswith("http://"))
    return server, url


def upload(backend, name: str, paths: list[Path]) -> list:
    from eojobs.models import Asset

    client, org = backend.client, backend.org
    template = client.new_data(org)
    data = client.create_data(org, {**template, "organisation_id": org, "name": name})
    for path in paths:
        _, url = client.add_file(org, str(data["id"]), path.name, "Other")
        client.upload(url, path)
    files = client.files(org, str(data["id"]))
    return [Asset(name=f["file_name"], size=int(f["size"]), execution_id="bench",
                  href=f"{data['id']}/{f['file_id']}") for f in files]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--big-mib", type=int, default=1024)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--file-mib", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as tmp:
        root = Path(tmp)
        os.environ["EOJOBS_HOME"] = str(root / "home")
        server, url = start_server(root / "home")
        try:
            run(root, url, args)
        finally:
            server.terminate()
            server.wait()


def run(root: Path, url: str, args: argparse.Namespace) -> None:
    import eojobs
    from eojobs.download import download_assets

    src = root / "src"
    (src / "many").mkdir(parents=True)
    big = src / "big.bin"
    with open(big, "wb") as handle:
        for _ in range(args.big_mib):
            handle.write(os.urandom(MIB))
    small = []
    for i in range(args.files):
        path = src / "many" / f"part{i:03d}.bin"
        path.write_bytes(os.urandom(args.file_mib * MIB))
        small.append(path)
    email, password = "me@org.com", "MyPassword123!"
    with eojobs.connect("fusion", api_url=url, email=email, password=password) as conn:
        backend = conn.backend
        big_assets = upload(backend, "bench big", [big])
        many_assets = upload(backend, "bench many", small)
        rows: list[tuple[str, str, int, float, float]] = []

        def engine(assets, parallel: int, folder: str) -> None:
            items = [(a, root / folder / a.name) for a in assets]
            report = download_assets(items, backend.open_asset, parallel=parallel,
                                     progress=False)
            assert report.ok, report.failed

        def curl(assets, folder: str, parallel: int = 1) -> None:
            (root / folder).mkdir()
            urls = [backend.client.download_url(backend.org, *a.href.split("/")) for a in assets]
            cmd = ["curl", "-sS", "--fail", "--no-progress-meter"]
            if parallel > 1:
                cmd += ["--parallel", "--parallel-max", str(parallel)]
            for a, u in zip(assets, urls, strict=True):
                cmd += ["-o", str(root / folder / a.name), u]
            subprocess.run(cmd, check=True)

        def sdk(data_name: str, folder: str) -> None:
            (root / folder).mkdir()
            subprocess.run([sys.executable, "-c", SDK_SCRIPT, url, email, password, data_name,
                            str(root / folder)], check=True)

        big_bytes = args.big_mib * MIB
        many_bytes = args.files * args.file_mib * MIB
        cases = [
            ("1 file", "curl", big_bytes, "c1", lambda f: curl(big_assets, f)),
            ("1 file", "eojobs", big_bytes, "e1", lambda f: engine(big_assets, 1, f)),
            ("1 file", "official SDK", big_bytes, "s1", lambda f: sdk("bench big", f)),
            ("many", "curl --parallel 8", many_bytes, "cm", lambda f: curl(many_assets, f, 8)),
            ("many", "eojobs --parallel 4", many_bytes, "e4",
             lambda f: engine(many_assets, 4, f)),
            ("many", "eojobs --parallel 8", many_bytes, "e8",
             lambda f: engine(many_assets, 8, f)),
            ("many", "official SDK", many_bytes, "sm", lambda f: sdk("bench many", f)),
        ]
        # Rounds interleave the tools, so a slow spell of the machine hits all of them;
        # each output is deleted at once, so every tool writes into the same kind of memory.
        samples: dict[str, list[tuple[float, float]]] = {name: [] for _, name, *_ in cases}
        failures: dict[str, int] = {name: 0 for name in samples}
        for _ in range(args.rounds):
            for _, name, _, folder, fn in cases:
                try:
                    samples[name].append(measure(lambda: fn(folder)))  # noqa: B023
                except subprocess.CalledProcessError:
                    failures[name] += 1  # the SDK, now and then; counted, not hidden
                shutil.rmtree(root / folder, ignore_errors=True)
        for group, name, size, _, _ in cases:
            if not samples[name]:
                print(f"  {group:7s} {name:22s} failed in every round")
                continue
            wall = statistics.median(w for w, _ in samples[name])
            used = statistics.median(u for _, u in samples[name])
            rows.append((group, name, size, wall, used))
        for name, count in failures.items():
            if count:
                print(f"  ({name} failed in {count} of {args.rounds} rounds)")
    print(f"loopback; 1 file = {args.big_mib} MiB, many = {args.files} x {args.file_mib} MiB; "
          f"median of {args.rounds} rounds")
    reference = {g: next(r for r in rows if r[0] == g) for g in ("1 file", "many")}
    for group, name, size, wall, used in rows:
        ref = reference[group]
        speed = size / MIB / wall
        ratio = (size / wall) / (ref[2] / ref[3])
        cpu_per_gib = used / (size / (1024 * MIB))
        print(f"  {group:7s} {name:22s} {speed:8.0f} MiB/s  {ratio:5.2f}x curl  "
              f"{cpu_per_gib:5.2f} CPU s/GiB")


if __name__ == "__main__":
    main()
