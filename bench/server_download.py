"""Download speed of `eojobs mock serve` against nginx, for one 1 GiB file over loopback.

Usage: python bench/server_download.py [--size-mib 1024] [--runs 3]

Creates a file, uploads it to a fresh `eojobs mock serve` (started here on
127.0.0.1, in its own process) through the API's signed upload URL, asks for
a signed download URL, and downloads it with `curl -o /dev/null`. The
reference is nginx (sendfile on) serving the same file, started here too;
without nginx it falls back to Python's http.server and says so. Target
(issue 3): at least half as fast as the reference.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="eojobs-bench-") as tmp:
        root = Path(tmp)
        payload = root / "www" / "payload.bin"
        payload.parent.mkdir()
        write_file(payload, args.size_mib)
        for readable in (root, payload.parent):
            readable.chmod(0o755)  # nginx workers run as an unprivileged user
        payload.chmod(0o644)
        with mock_server(root / "home") as (url, session):
            ours = curl_runs(upload_and_sign(url, session, payload), args.runs)
        with reference_server(root, payload) as (name, url):
            theirs = curl_runs(url, args.runs)
    report(args.size_mib, ours, name, theirs)


def write_file(path: Path, size_mib: int) -> None:
    block = os.urandom(MIB)
    with open(path, "wb") as out:
        for _ in range(size_mib):
            out.write(block)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class mock_server:
    """`eojobs mock serve` in a child process, logged in."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __enter__(self) -> tuple[str, requests.Session]:
        env = dict(os.environ, EOJOBS_HOME=str(self.home))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "eojobs", "mock", "serve", "--port", "0"], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        url = line.split()[line.split().index("at") + 1] if " at " in line else ""
        if not url.startswith("http"):
            self.process.kill()
            raise SystemExit(f"eojobs mock serve did not start: {line!r}")
        from eojobs_mock.server.state import DEFAULT_EMAIL, DEFAULT_PASSWORD

        session = requests.Session()
        login = session.post(f"{url}/users/login", data=json.dumps(
            {"User": {"email": DEFAULT_EMAIL, "user_id": None, "password": DEFAULT_PASSWORD}}))
        login.raise_for_status()
        session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        return url, session

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)


def upload_and_sign(url: str, session: requests.Session, payload: Path) -> str:
    import jwt

    user = jwt.decode(session.headers["Authorization"].split()[1],
                      options={"verify_signature": False})["sub"]
    org = session.get(f"{url}/users/{user}").json()["model"]["organisations"][0]["id"]
    data = session.post(f"{url}/organisations/{org}/data",
                        data=json.dumps({"Data[name]": "bench"})).json()["model"]["id"]
    added = session.post(f"{url}/organisations/{org}/data/{data}/add_file", data=json.dumps(
        {"Data": {"name": payload.name, "file_type": "Other"}})).json()["extras"]
    subprocess.run(["curl", "-sf", "-T", str(payload), added["url"], "-o", "/dev/null"],
                   check=True)
    signed = session.get(f"{url}/organisations/{org}/data/{data}/download_file/{added['file']}",
                         params={"preview": "False"})
    signed.raise_for_status()
    return str(signed.json()["extras"]["url"])


class reference_server:
    """nginx serving the payload's folder (or Python's http.server without nginx)."""

    def __init__(self, root: Path, payload: Path) -> None:
        self.root = root
        self.payload = payload

    def __enter__(self) -> tuple[str, str]:
        port = free_port()
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                          else None)
        if nginx:
            prefix = self.root / "nginx"
            (prefix / "logs").mkdir(parents=True)
            conf = prefix / "nginx.conf"
            conf.write_text(
                "worker_processes 1; pid nginx.pid; error_log logs/error.log;\n"
                "events { worker_connections 64; }\n"
                "http { access_log off; sendfile on; tcp_nopush on;\n"
                f"  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;\n"
                f"  fastcgi_temp_path {prefix}/fcgi; uwsgi_temp_path {prefix}/uwsgi;\n"
                f"  scgi_temp_path {prefix}/scgi;\n"
                f"  server {{ listen 127.0.0.1:{port}; root {self.payload.parent}; }} }}\n")
            command = [nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"]
            name = "nginx"
        else:
            command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                       "--directory", str(self.payload.parent)]
            name = "python http.server (nginx not found; not a fast reference)"
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_for_port(port)
        return name, f"http://127.0.0.1:{port}/{self.payload.name}"

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(10)


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port}")


def curl_runs(url: str, runs: int) -> list[float]:
    """MiB/s of each `curl -o /dev/null` download of ``url`` (after one warm-up)."""
    speeds = []
    for attempt in range(runs + 1):
        done = subprocess.run(
            ["curl", "-sf", "-o", "/dev/null", "-w", "%{speed_download} %{size_download}", url],
            check=True, capture_output=True, text=True)
        speed, size = done.stdout.split()
        if attempt:
            speeds.append(float(speed) / MIB)
        assert int(size) > 0
    return speeds


def report(size_mib: int, ours: list[float], name: str, theirs: list[float]) -> None:
    mine, reference = statistics.median(ours), statistics.median(theirs)
    print(f"{size_mib} MiB over loopback with curl -o /dev/null, median of {len(ours)} runs")
    print(f"  eojobs mock serve  {mine:9.0f} MiB/s   runs: {', '.join(f'{s:.0f}' for s in ours)}")
    print(f"  {name:18s} {reference:9.0f} MiB/s   runs: "
          f"{', '.join(f'{s:.0f}' for s in theirs)}")
    print(f"  ratio              {mine / reference:9.2f}   (target >= 0.50)")


if __name__ == "__main__":
    main()
