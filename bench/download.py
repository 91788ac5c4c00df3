"""Download throughput: the eojobs engine against curl and the official Fusion SDK.

Starts `eojobs mock serve` in its own process on 127.0.0.1, uploads the test
files through the API, then downloads them from signed URLs:

1. one large file: eojobs (Fusion backend + download engine), `curl -o`, and
   the SDK's `DataFile.download`;
2. many files: eojobs with `--parallel 4` and `8`, `curl --parallel`, and the
   SDK downloading every file on its own threads;

and prints MiB/s, ratios to curl, and CPU seconds per GiB.

With --https the server is started a second time with a self-signed
certificate made at run time (`openssl req`), and the one-file case runs
over HTTPS as well: curl gets the certificate with --cacert, eojobs and the
SDK with REQUESTS_CA_BUNDLE. --only-big leaves out the many-files case,
--no-sdk the SDK.

Every case runs once per round, the rounds interleaving the tools; the
figures are medians.

Usage: python bench/download.py [--big-mib 1024] [--files 200] [--file-mib 5] [--rounds 3]
                                [--https] [--only-big] [--no-sdk]
"""

from __future__ import annotations

import argparse
import hashlib
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


def start_server(home: Path, tls: tuple[Path, Path] | None = None
                 ) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("eojobs", path=str(Path(sys.executable).parent)) or "eojobs"
    env = {**os.environ, "EOJOBS_HOME": str(home)}
    extra = ["--tls-cert", str(tls[0]), "--tls-key", str(tls[1])] if tls else []
    server = subprocess.Popen([exe, "mock", "serve", "--port", "0", *extra],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              env=env)
    line = server.stdout.readline() if server.stdout else ""
    url = next(word for word in line.split() if word.startswith(("http://", "https://")))
    return server, url


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with `openssl req`."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


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
    parser.add_argument("--https", action="store_true",
                        help="also download the one file over HTTPS")
    parser.add_argument("--only-big", action="store_true", help="leave out the many files")
    parser.add_argument("--no-sdk", action="store_true", help="leave out the official SDK")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as tmp:
        root = Path(tmp)
        os.environ["EOJOBS_HOME"] = str(root / "home")
        servers = [start_server(root / "home")]
        try:
            if args.https:
                cert = make_certificate(root)
                os.environ["REQUESTS_CA_BUNDLE"] = str(cert[0])
                servers.append(start_server(root / "home", cert))
            run(root, servers[0][1], args, servers[1][1] if args.https else None,
                root / "cert.pem")
        finally:
            for server, _ in servers:
                server.terminate()
                server.wait()


def run(root: Path, url: str, args: argparse.Namespace, tls_url: str | None,
        cacert: Path) -> None:
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
        # The server over HTTPS shares the workspace: the same data, other URLs.
        tls = eojobs.connect("fusion", api_url=tls_url, email=email, password=password) \
            if tls_url else None
        rows: list[tuple[str, str, int, float, float]] = []

        def engine(assets, parallel: int, folder: str, over=None) -> None:
            items = [(a, root / folder / a.name) for a in assets]
            report = download_assets(items, (over or backend).open_asset, parallel=parallel,
                                     progress=False)
            assert report.ok and not report.unverified, report.failed

        def curl(assets, folder: str, parallel: int = 1, over=None) -> None:
            (root / folder).mkdir()
            client, org = (over or backend).client, (over or backend).org
            urls = [client.download_url(org, *a.href.split("/")) for a in assets]
            cmd = ["curl", "-sS", "--fail", "--no-progress-meter"]
            if over is not None:
                cmd += ["--cacert", str(cacert)]
            if parallel > 1:
                cmd += ["--parallel", "--parallel-max", str(parallel)]
            for a, u in zip(assets, urls, strict=True):
                cmd += ["-o", str(root / folder / a.name), u]
            subprocess.run(cmd, check=True)

        def sdk(data_name: str, folder: str, api: str = url) -> None:
            (root / folder).mkdir()
            subprocess.run([sys.executable, "-c", SDK_SCRIPT, api, email, password, data_name,
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
        if tls is not None:
            over = tls.backend
            cases[3:3] = [
                ("https", "curl https", big_bytes, "ch", lambda f: curl(big_assets, f, over=over)),
                ("https", "eojobs https", big_bytes, "eh",
                 lambda f: engine(big_assets, 1, f, over=over)),
                ("https", "official SDK https", big_bytes, "sh",
                 lambda f: sdk("bench big", f, tls_url)),
            ]
        if args.only_big:
            cases = [case for case in cases if case[0] != "many"]
        if args.no_sdk:
            cases = [case for case in cases if "SDK" not in case[1]]
        # Rounds interleave the tools, so a slow spell of the machine hits all of them;
        # each output is deleted at once, so every tool writes into the same kind of memory.
        # What every tool must write: each file's name and digest, for the big file and the many.
        served = {"1 file": {"big.bin": _digest(big)},
                  "many": {p.name: _digest(p) for p in small}}
        served["https"] = served["1 file"]
        samples: dict[str, list[tuple[float, float]]] = {name: [] for _, name, *_ in cases}
        failures: dict[str, int] = {name: 0 for name in samples}
        for _ in range(args.rounds):
            for group, name, _, folder, fn in cases:
                try:
                    samples[name].append(measure(lambda: fn(folder)))  # noqa: B023
                except subprocess.CalledProcessError:
                    failures[name] += 1  # the SDK, now and then; counted, not hidden
                else:
                    # Outside the timing: the tool wrote every file, with the bytes served.
                    written = {p.name: p for p in (root / folder).rglob("*") if p.is_file()}
                    for file_name, digest in served[group].items():
                        got = written.get(file_name)
                        if got is None or _digest(got) != digest:
                            raise SystemExit(f"{name} did not write {file_name} as served "
                                             f"(in {root / folder})")
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
        if tls is not None:
            tls.close()
    print(f"loopback; 1 file = {args.big_mib} MiB, many = {args.files} x {args.file_mib} MiB; "
          f"median of {args.rounds} rounds")
    reference = {g: next(r for r in rows if r[0] == g) for g in {r[0] for r in rows}}
    for group, name, size, wall, used in rows:
        ref = reference[group]
        speed = size / MIB / wall
        ratio = (size / wall) / (ref[2] / ref[3])
        cpu_per_gib = used / (size / (1024 * MIB))
        print(f"  {group:7s} {name:22s} {speed:8.0f} MiB/s  {ratio:5.2f}x curl  "
              f"{cpu_per_gib:5.2f} CPU s/GiB")


if __name__ == "__main__":
    main()
