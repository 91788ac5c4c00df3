"""`eojobs mock serve` as a user runs it: one line on stdout, then serve until SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_one_line_serves_and_exits_0_when_stopped(user_dir, stop):
    child = subprocess.Popen(
        [sys.executable, "-m", "eojobs", "mock", "serve", "--port", "0", "--email",
         "demo@example.com", "--password", "Secret-Pass-42", "--token-lifetime", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("Serving the mock platform at http://127.0.0.1:")
        assert "demo@example.com" in line and "Secret-Pass-42" not in line
        url = line.split(" at ")[1].split()[0]
        login = requests.post(f"{url}/users/login", data=json.dumps({"User": {
            "email": "demo@example.com", "user_id": None, "password": "Secret-Pass-42"}}))
        assert login.status_code == 200
        token = login.json()["access_token"]
        assert requests.get(f"{url}/nowhere").status_code == 404
    finally:
        child.send_signal(stop)
        stdout, stderr = child.communicate(timeout=10)
    assert child.returncode == 0, stderr
    assert stdout == ""
    assert "POST /users/login 200" in stderr and "GET /nowhere 404" in stderr
    assert "Secret-Pass-42" not in stderr and token not in stderr


def test_serve_refuses_a_weak_password(user_dir):
    done = subprocess.run([sys.executable, "-m", "eojobs", "mock", "serve", "--port", "0",
                           "--password", "password"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "upper-case" in done.stderr and done.stdout == ""


def test_a_port_in_use_is_an_error_the_caller_can_report(user_dir):
    from click.testing import CliRunner

    from eojobs.cli import cli
    from eojobs_mock.server.runner import create_server, start_server

    with start_server(user_dir) as running:
        with pytest.raises(OSError):
            create_server(user_dir, port=running.port)
        result = CliRunner().invoke(cli, ["mock", "serve", "--port", str(running.port)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: cannot listen on 127.0.0.1:{running.port}: "
                                     "Address already in use")
