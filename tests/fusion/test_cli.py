"""The CLI with -b fusion against `eojobs mock serve` on 127.0.0.1."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from eojobs.cli import cli
from eojobs.credentials import token_path
from tests.conftest import GLASGOW


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def server_env(mock_server, monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    return mock_server


def test_login_prompts_hides_the_password_and_caches_only_a_token(server_env, user_dir):
    result = invoke("login", "fusion", input=f"{server_env.email}\n{server_env.password}\n")
    assert result.exit_code == 0, result.stderr
    assert server_env.password not in result.output + result.stderr
    assert f"logged in to fusion as {server_env.email}" in result.stderr
    path = token_path("fusion", f"{server_env.url}|{server_env.email}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for file in user_dir.rglob("*"):
        if file.is_file():
            assert server_env.password.encode() not in file.read_bytes()
    # Later commands use the cached token: no password anywhere in the environment.
    listed = invoke("-b", "fusion", "--json", "services")
    assert listed.exit_code == 0, listed.stderr
    assert "Elevation" in {s["name"] for s in json.loads(listed.stdout)}


def test_wrong_password_at_login_is_one_line_exit_1(server_env):
    result = invoke("login", "fusion", input=f"{server_env.email}\nNot-The-Password-1\n")
    assert result.exit_code == 1
    assert "Incorrect username or password" in result.stderr
    assert "Not-The-Password-1" not in result.output + result.stderr


def test_login_checks_the_settings_before_asking_anything(monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", "notaurl")
    result = invoke("login", "fusion", input="")
    assert result.exit_code == 2
    assert "'notaurl' is not an http(s) URL" in result.stderr
    assert "Email" not in result.output + result.stderr
    unknown = invoke("login", "zzz")
    assert unknown.exit_code == 2
    assert unknown.stderr == ("error: no backend named 'zzz'; installed backends: fusion, mock, "
                              "openeo, stac\n")


def test_run_download_and_clean_up_with_b_fusion(server_env, monkeypatch, tmp_path):
    monkeypatch.setenv("EOJOBS_FUSION_EMAIL", server_env.email)
    monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", server_env.password)
    out = tmp_path / "out"
    result = invoke("-b", "fusion", "--json", "run", "elevation", "-r", str(GLASGOW),
                    "-o", "dem_source=srtm", "--download", str(out))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["status"] == "succeeded" and data["options"]["dem_source"] == "SRTM"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "elevation.png", "elevation.tif", "footprint.geojson", "statistics.csv"]
    job_id = data["id"]
    assert f"\n{job_id[:8]}  " in invoke("-b", "fusion", "jobs").stdout
    assert "succeeded" in invoke("-b", "fusion", "status", job_id).stdout
    assert invoke("-b", "fusion", "logs", job_id).exit_code == 0
    assert "elevation.tif" in invoke("-b", "fusion", "results", job_id).stdout
    assert invoke("-b", "fusion", "delete", job_id, "-y").exit_code == 0
    gone = invoke("-b", "fusion", "status", job_id)
    assert gone.exit_code == 2 and "error:" in gone.stderr


def test_bad_input_never_reaches_the_server(server_env, monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_EMAIL", server_env.email)
    monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", server_env.password)
    result = invoke("-b", "fusion", "run", "elevation", "-r", "5,5,4,6")
    assert result.exit_code == 2 and "has west (5) east of east (4)" in result.stderr
    result = invoke("-b", "fusion", "run", "elevation", "-r", str(GLASGOW), "-o", "x=1")
    assert result.exit_code == 2 and "has no option 'x'" in result.stderr
    assert json.loads(invoke("-b", "fusion", "--json", "jobs").stdout) == []


def test_fusion_extras_through_the_cli(server_env, monkeypatch):
    monkeypatch.setenv("EOJOBS_FUSION_EMAIL", server_env.email)
    monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", server_env.password)
    job_id = json.loads(invoke("-b", "fusion", "--json", "run", "elevation", "-r",
                               str(GLASGOW)).stdout)["id"]
    added = invoke("-b", "fusion", "--json", "dispatchers", "add", job_id, "Email Dispatcher",
                   "-o", "emails=me@example.com")
    assert added.exit_code == 0, added.stderr
    email = next(d for d in json.loads(added.stdout) if d["name"] == "Email Dispatcher")
    assert email["attached"] and email["options"]["emails"] == "me@example.com"
    listed = invoke("-b", "fusion", "dispatchers", "list", job_id)
    assert "Email Dispatcher" in listed.stdout and "yes" in listed.stdout
    missing = invoke("-b", "fusion", "dispatchers", "add", job_id, "Carrier Pigeon")
    assert missing.exit_code == 2 and "no dispatcher 'Carrier Pigeon'; available:" in \
        missing.stderr
    assert invoke("-b", "fusion", "dispatchers", "remove", job_id,
                  "email dispatcher").exit_code == 0
    copied = invoke("-b", "fusion", "copy", job_id, "--name", "copied")
    assert copied.exit_code == 0 and len(copied.stdout.strip()) == 36
    kept = invoke("-b", "fusion", "keep", job_id, "2031-02-03")
    assert kept.exit_code == 0, kept.stderr
    assert "UNTIL: no timezone given, assuming UTC" in kept.stderr
    assert "kept until 2031-02-03T00:00:00+00:00" in kept.stderr
    late = invoke("-b", "fusion", "keep", job_id, "9999-12-31T23:59:59-05:00")
    assert late.exit_code == 2 and "is out of range once taken to UTC" in late.stderr
    credits = json.loads(invoke("-b", "fusion", "--json", "credits").stdout)["credits"]
    orgs = json.loads(invoke("-b", "fusion", "--json", "organisations").stdout)
    assert [o["credits"] for o in orgs] == [credits]
    bad_url = invoke("-b", "fusion", "services", input=None)
    assert bad_url.exit_code == 0
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", "127.0.0.1:1")
    refused = invoke("-b", "fusion", "services")
    assert refused.exit_code == 2 and "is not an http(s) URL" in refused.stderr
