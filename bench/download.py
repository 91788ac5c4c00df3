"""Download throughput: the eojobs engine against curl and the official Fusion SDK.

Starts `eojobs mock serve` in its own process on 127.0.0.1, uploads the test
files through the API, then downloads them from signed URLs:

1. one large file: eojobs (Fusion backend + download engine), `curl -o`, and
   the SDK's `DataFile.download`;
2. many files: eojobs with `--parallel 4` and `8`, `curl --parallel`, and the
   SDK downloading every file on its own threads;

and prints MiB/s, ratios to curl, and CPU seconds per GiB.

Usage: python bench/download.py [--big-mib 1024] [--files 200] [--file-mib 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
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
            ("1 file", "curl", big_bytes, lambda: curl(big_assets, "c1")),
            ("1 file", "eojobs", big_bytes, lambda: engine(big_assets, 1, "e1")),
            ("1 file", "official SDK", big_bytes, lambda: sdk("bench big", "s1")),
            ("many", "curl --parallel 8", many_bytes, lambda: curl(many_assets, "cm", 8)),
            ("many", "eojobs --parallel 4", many_bytes, lambda: engine(many_assets, 4, "e4")),
            ("many", "eojobs --parallel 8", many_bytes, lambda: engine(many_assets, 8, "e8")),
            ("many", "official SDK", many_bytes, lambda: sdk("bench many", "sm")),
        ]
        for group, name, size, fn in cases:
            wall, used = measure(fn)
            rows.append((group, name, size, wall, used))
            shutil.rmtree(root / "dl", ignore_errors=True)
    print(f"loopback; 1 file = {args.big_mib} MiB, many = {args.files} x {args.file_mib} MiB")
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
