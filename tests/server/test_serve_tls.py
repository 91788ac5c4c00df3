"""`eojobs mock serve` over HTTPS, and the download engine reading a TLS body in large pieces."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_serve_with_a_certificate_serves_https(user_dir, certificate):
    cert, key = certificate
    child = subprocess.Popen(
        [sys.executable, "-m", "eojobs", "mock", "serve", "--port", "0",
         "--tls-cert", str(cert), "--tls-key", str(key)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("Serving the mock platform at https://127.0.0.1:"), line
        url = line.split(" at ")[1].split()[0]
        login = requests.post(f"{url}/users/login", verify=str(cert), timeout=10,
                              data=json.dumps({"User": {"email": "me@org.com", "user_id": None,
                                                        "password": "MyPassword123!"}}))
        assert login.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{url}/nowhere", timeout=10)  # not trusted without the certificate
    finally:
        child.terminate()
        child.communicate(timeout=10)


def test_tls_cert_without_key_is_refused(user_dir, certificate):
    done = subprocess.run([sys.executable, "-m", "eojobs", "mock", "serve", "--port", "0",
                           "--tls-cert", str(certificate[0])],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2 and "--tls-cert and --tls-key go together" in done.stderr


def test_a_file_downloads_over_https_through_the_fusion_backend(user_dir, certificate, tmp_path,
                                                                monkeypatch):
    import eojobs
    from eojobs.download import download_assets
    from eojobs.models import Asset
    from eojobs_mock.server.runner import start_server, tls_context

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    body = random.Random(7).randbytes(3 * 1024 * 1024 + 5)
    source = tmp_path / "big.bin"
    source.write_bytes(body)
    with start_server(user_dir, ssl_context=tls_context(*certificate)) as server:
        assert server.url.startswith("https://")
        with eojobs.connect("fusion", api_url=server.url, email=server.email,
                            password=server.password) as conn:
            client, org = conn.backend.client, conn.backend.org
            data = client.create_data(org, {**client.new_data(org), "organisation_id": org,
                                            "name": "tls"})
            _, upload_url = client.add_file(org, str(data["id"]), "big.bin", "Other")
            assert upload_url.startswith("https://")
            client.upload(upload_url, source)
            record = client.files(org, str(data["id"]))[0]
            asset = Asset(name="big.bin", size=len(body), execution_id="e",
                          href=f"{data['id']}/{record['file_id']}")
            report = download_assets([(asset, tmp_path / "out" / "big.bin")],
                                     conn.backend.open_asset, progress=False)
    assert report.ok and report.unverified == [], report.failed
    assert (tmp_path / "out" / "big.bin").read_bytes() == body


def test_readinto1_gathers_the_tls_records_that_have_arrived(certificate):
    from eojobs.http import ResponseStream

    body = random.Random(3).randbytes(100_000)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listener = socket.create_server(("127.0.0.1", 0))
    sent = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                        % len(body) + body)
            sent.set()
            tls.recv(1)  # until the client closes

    thread = threading.Thread(target=serve)
    thread.start()
    response = requests.get(f"https://127.0.0.1:{listener.getsockname()[1]}/", stream=True,
                            timeout=10, verify=str(certificate[0]))
    assert sent.wait(timeout=10)
    pieces, buffer = [], memoryview(bytearray(1 << 20))
    with ResponseStream(response) as stream:
        while n := stream.readinto1(buffer):
            pieces.append(bytes(buffer[:n]))
    thread.join(timeout=10)
    listener.close()
    assert b"".join(pieces) == body
    # Every record (16 KiB at most) had arrived: they come in one or two reads, not six.
    assert len(pieces) <= 2 and max(map(len, pieces)) > 2 * 16384


def test_a_request_that_cannot_be_parsed_is_logged_without_a_traceback(mock_server, caplog,
                                                                       capfd):
    import logging
    import socket
    from urllib.parse import urlsplit

    caplog.set_level(logging.INFO, logger="eojobs_mock.server")
    where = urlsplit(mock_server.url)
    with socket.create_connection((where.hostname, where.port), timeout=10) as sock:
        # What an https client sends first: a TLS hello, not an HTTP request line.
        sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64 + b"\r\n\r\n")
        answer = sock.recv(4096)
    assert b"400 - Bad request syntax" in answer
    assert "Traceback" not in capfd.readouterr().err
    assert "eojobs_mock.server:runner.py" in caplog.text and " -  400" in caplog.text
