"""Answers of an unexpected shape from a Fusion-like server: one clear error, no traceback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

import eojobs
from eojobs.cli import cli

USER = "11111111-1111-1111-1111-111111111111"
ORG = "22222222-2222-2222-2222-222222222222"


def serve(answers: dict[str, object]):
    """A server on 127.0.0.1 answering GETs by path suffix with canned JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            path = self.path.split("?", 1)[0]
            body = next((a for suffix, a in answers.items() if path.endswith(suffix)),
                        {"error_message": "not here"})
            data = json.dumps(body).encode()
            self.send_response(404 if "error_message" in body else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


USER_ANSWER = {f"/users/{USER}": {"model": {"id": USER, "organisations": [{"id": ORG}]}}}


@pytest.mark.parametrize("answers", [
    {"/services/latest": {"list": {"not": "a list"}}},
    {"/services/latest": [1, 2]},
    {"/services/latest": {"list": [{"name": "no id"}]}},
    {"/services/latest": {"list": [{"id": 7, "name": None, "keywords": "x"}]}},
])
def test_odd_service_listings_are_one_backend_error(answers, monkeypatch):
    server = serve({**USER_ANSWER, **answers})
    try:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", f"http://127.0.0.1:{server.server_port}")
        with eojobs.connect("fusion", email="me@org.com", retries=0) as conn:
            conn.backend.client.token = "token"
            conn.backend.auth.user_id = USER
            with pytest.raises(eojobs.BackendError):
                conn.services()
    finally:
        server.shutdown()


def test_the_cli_says_so_in_one_line(monkeypatch):
    server = serve({**USER_ANSWER, "/services/latest": {"list": []},
                    "/processes": {"list": [{"id": USER, "created_at": "yesterday"}]}})
    try:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setattr("eojobs_fusion.auth.Authenticator.ensure", lambda self: (
            setattr(self.client, "token", "token") or USER))
        result = CliRunner().invoke(cli, ["-b", "fusion", "jobs"], catch_exceptions=False)
    finally:
        server.shutdown()
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the Fusion Platform answered in an unexpected shape")
    assert len(result.stderr.strip().splitlines()) == 1
