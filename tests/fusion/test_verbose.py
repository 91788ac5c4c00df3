"""-v, -vv and EOJOBS_LOG show what the client does, and never a secret (issue 10)."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
from urllib.parse import unquote, urlsplit

from click.testing import CliRunner

from eojobs.cli import cli
from eojobs.credentials import token_path
from eojobs.http import HttpPolicy
from eojobs_fusion.client import FusionClient
from tests.conftest import GLASGOW
from tests.scripted_server import Answer, scripted_server


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_a_debug_session_shows_every_request_and_no_secret(fusion_env, user_dir, tmp_path):
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "eojobs", "-vv", "-b", "fusion", "run", "elevation", "-r",
         str(GLASGOW), "--download", str(out)],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300)
    assert done.returncode == 0, done.stderr
    log = done.stderr
    assert "elevation.tif" in {p.name for p in out.iterdir()}
    url = re.escape(fusion_env.url)
    # Our own lines: each request with its redacted URL, status and time.
    assert re.search(rf"info eojobs\.http: POST {url}/users/login -> 200 in \d+\.\d+ s", log)
    downloads = re.findall(rf"info eojobs\.http: GET ({url}/\S+) -> 200 in", log)
    signed = [u for u in downloads if "signature=" in u]
    assert signed and all(u.endswith("signature=REDACTED") for u in signed)
    # urllib3's own lines are there too, their query strings masked.
    assert "debug urllib3.connectionpool: Starting new HTTP connection" in log
    assert re.search(r'"GET /\S+\?expires=\d+&signature=REDACTED HTTP/1\.1" 200', log)
    # No secret anywhere: the password, the bearer token, the URLs' real signatures.
    token = token_path("fusion", f"{fusion_env.url}|{fusion_env.email}")
    access = __import__("json").loads(token.read_text())["access_token"]
    assert fusion_env.password not in log
    assert access not in log and access.split(".")[2] not in log
    assert re.search(r"Bearer (?!REDACTED)", log) is None
    signer = fusion_env.state.signer
    for expires, path in {(m[1], m[0]) for m in re.findall(
            r"(/[^\s?\"]+)\?expires=(\d+)&signature=", log)}:
        path = unquote(urlsplit(path).path)
        for method in ("GET", "PUT"):
            assert signer.signature(method, path, int(expires)) not in log
    assert not re.search(r"signature=(?!REDACTED)", log)


def test_v_after_the_command_and_eojobs_log_choose_the_level(fusion_env, monkeypatch):
    info = invoke("-b", "fusion", "services", "-v")
    assert info.exit_code == 0, info.stderr
    assert re.search(r"^info eojobs\.http: GET http://\S+/services/latest\?\S+ -> 200 in ",
                     info.stderr, re.M)
    assert "debug " not in info.stderr
    monkeypatch.setenv("EOJOBS_LOG", "debug")
    debug = invoke("-b", "fusion", "services")
    assert "debug urllib3.connectionpool: " in debug.stderr
    monkeypatch.setenv("EOJOBS_LOG", "warning")
    quiet = invoke("-b", "fusion", "services")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert logging.getLogger("eojobs").handlers == []  # the CLI took its handler away again


def test_a_bad_eojobs_log_is_one_line(monkeypatch):
    monkeypatch.setenv("EOJOBS_LOG", "chatty")
    result = invoke("services")
    assert result.exit_code == 2
    assert result.stderr == ("error: EOJOBS_LOG='chatty' is not a log level; use one of "
                             "debug, info, warning, error\n")


def test_a_token_cache_others_could_read_is_a_warning_on_the_command_line(fusion_env):
    assert invoke("-b", "fusion", "services").exit_code == 0
    path = token_path("fusion", f"{fusion_env.url}|{fusion_env.email}")
    path.chmod(0o644)
    result = invoke("-b", "fusion", "services")
    assert result.exit_code == 0
    assert result.stderr == (f"warning: the token cache {path} could be read by others "
                             "(mode 644); it is now 0600, but log in again if others may "
                             "have read it\n")


def test_retries_are_logged_with_their_reason_and_a_masked_url(caplog):
    answers = iter([Answer(503), Answer(body=b"bytes")])
    with scripted_server(lambda r: next(answers)) as blobs:
        client = FusionClient(blobs.url, HttpPolicy(backoff=0.0))
        with caplog.at_level(logging.INFO, logger="eojobs"):
            with client.open_url(f"{blobs.url}/blob?expires=1&signature=Sig-Value-77") as got:
                assert got.read() == b"bytes"
    assert f"retrying GET {blobs.url}/blob?expires=1&signature=REDACTED after HTTP 503" \
        in caplog.messages
    assert "Sig-Value-77" not in caplog.text


def test_the_library_shows_nothing_until_asked(fusion_env):
    import eojobs
    from eojobs import logs

    with eojobs.connect("fusion") as conn:
        conn.services()
    assert logging.getLogger("eojobs").handlers == []
    handler = logs.enable("info")
    try:
        assert logging.getLogger("eojobs").handlers == [handler]
        assert logging.getLogger("urllib3").handlers.count(handler) == 0
    finally:
        logs.disable()
    assert logging.getLogger("eojobs").handlers == []


def test_a_url_with_a_password_is_masked_in_errors(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("EOJOBS_FUSION_EMAIL", "me@org.com")
    monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", "Pw-Secret-0123")
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", f"http://me:Url-Secret-9@127.0.0.1:{port}")
    refused = invoke("-b", "fusion", "-v", "services")
    assert refused.exit_code == 1
    assert (f"error: POST /users/login: could not connect to 127.0.0.1:{port} "
            "(ConnectionError)\n") in refused.stderr
    assert (f"retrying POST http://me:REDACTED@127.0.0.1:{port}/users/login after "
            "ConnectionError\n") in refused.stderr
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", "ftp://me:Url-Secret-9@example.org")
    bad = invoke("-b", "fusion", "services")
    assert bad.exit_code == 2 and "'ftp://me:REDACTED@example.org' is not" in bad.stderr
    assert "Url-Secret-9" not in refused.stderr + bad.stderr
