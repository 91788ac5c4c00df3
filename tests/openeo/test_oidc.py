"""OpenID Connect login to openEO, against the driver and a real identity provider on 127.0.0.1.

The provider is nanoidp (a test identity provider with the device, refresh
and client credentials grants); the back-end is openeo-driver's app, told to
trust it. The driver checks each bearer token at the provider's userinfo
endpoint, so a token it accepts is one the provider issued.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

import eojobs
from eojobs.credentials import Token, load_token, save_token, token_path
from tests.openeo.harness import Server, start

DEVICE_GRANTS = ["urn:ietf:params:oauth:grant-type:device_code+pkce", "refresh_token"]
ALICE = ("alice", "wonderland")
ROBOT = ("robot", "robot-secret")


class _Later:
    """A WSGI app set after the server is bound, so the issuer URL can hold its port."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def issuer(tmp_path_factory) -> str:
    later = _Later()
    server = make_server("127.0.0.1", 0, later, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    root = tmp_path_factory.mktemp("idp")
    config = root / "config"
    config.mkdir()
    (config / "settings.yaml").write_text(f"""config_version: 1
oauth:
  issuer: "{url}"
  clients:
    - {{client_id: "cli", token_endpoint_auth_method: "none"}}
    - {{client_id: "{ROBOT[0]}", client_secret: "{ROBOT[1]}",
        token_endpoint_auth_method: "client_secret_post"}}
device_flow: {{polling_interval: 1}}
jwt: {{keys_dir: "{root / 'keys'}"}}
logging: {{level: "WARNING"}}
""")
    (config / "users.yaml").write_text(
        f'config_version: 1\nusers:\n  {ALICE[0]}: {{password: "{ALICE[1]}"}}\n')
    from nanoidp.app import create_app

    later.app = create_app(config_dir=str(config))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def oidc_server(issuer, tmp_path_factory) -> Server:
    from openeo_driver.users.oidc import OidcProvider

    provider = OidcProvider(id="local", issuer=issuer, title="Local IdP", scopes=["openid"],
                            default_clients=[{"id": "cli", "grant_types": DEVICE_GRANTS}])
    server = start(tmp_path_factory.mktemp("oidc-results"), oidc_providers=[provider])
    yield server
    server.shutdown()


@pytest.fixture
def oidc_env(oidc_server, monkeypatch) -> str:
    url = oidc_server.url + "/openeo/1.2"
    monkeypatch.setenv("EOJOBS_OPENEO_URL", url)
    return url


def approve(issuer: str, user_code: str, action: str = "authorize") -> None:
    """What the user does in the browser: sign in and approve (or deny) the code."""
    answer = requests.post(issuer + "/device", data={
        "user_code": user_code, "username": ALICE[0], "password": ALICE[1], "action": action})
    assert answer.status_code == 200, answer.text


def login(issuer: str, action: str = "authorize") -> tuple[int, str, str]:
    """``eojobs -b openeo login`` as a process: approve the code it prints, as a user would."""
    process = subprocess.Popen([sys.executable, "-m", "eojobs", "login", "openeo"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=os.environ.copy())
    said = []
    assert process.stderr is not None
    for line in process.stderr:
        said.append(line)
        found = re.search(r"user_code=(\w+)", line)
        if found:
            approve(issuer, found[1], action)
            break
    out, rest = process.communicate(timeout=60)
    return process.returncode, out, "".join(said) + rest


def cached(url: str) -> Token:
    token = load_token("openeo", f"{url}|oidc||", expired=True)
    assert token is not None
    return token


def me(url: str, bearer: str) -> requests.Response:
    return requests.get(url + "/me", headers={"Authorization": f"Bearer {bearer}"})


def test_device_login_prints_the_url_caches_the_tokens_0600_and_the_next_call_uses_them(
        oidc_env, issuer):
    code, out, err = login(issuer)
    assert code == 0, err
    assert re.search(rf"Visit {issuer}/device\?user_code=\w+ to authenticate", err)
    assert "logged in to openeo as Local IdP; the token is cached, not the password" in err
    token = cached(oidc_env)
    assert token.access_token.startswith("oidc/local/") and token.refresh_token
    assert token.user_id == "cli"  # the client a refresh must go to, the login's own
    assert token.access_token not in out + err and token.refresh_token not in out + err
    path = token_path("openeo", f"{oidc_env}|oidc||")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert me(oidc_env, token.access_token).json()["user_id"] == ALICE[0]

    with eojobs.connect("openeo") as conn:
        assert conn.jobs() == []
        assert conn.backend.client.token == token.access_token


def test_an_expired_access_token_is_refreshed_and_the_new_tokens_cached(oidc_env, issuer):
    assert login(issuer)[0] == 0
    first = cached(oidc_env)
    save_token("openeo", f"{oidc_env}|oidc||", Token(first.access_token, time.time() - 1,
                                                     refresh_token=first.refresh_token))
    with eojobs.connect("openeo") as conn:
        assert conn.jobs() == []
        used = conn.backend.client.token
    second = cached(oidc_env)
    assert used == second.access_token != first.access_token
    assert second.valid and second.refresh_token
    assert me(oidc_env, used).json()["user_id"] == ALICE[0]


def test_a_refresh_token_the_provider_refuses_says_to_log_in_again(oidc_env):
    save_token("openeo", f"{oidc_env}|oidc||", Token("oidc/local/old", time.time() - 1,
                                                     refresh_token="not-a-refresh-token"))
    with eojobs.connect("openeo") as conn, pytest.raises(eojobs.AuthenticationError) as caught:
        conn.jobs()
    message = str(caught.value)
    assert message.startswith("the openeo login has expired or was revoked (refreshing the "
                              "login to openeo failed: ")
    assert message.endswith("); run `eojobs login openeo` again")
    assert "not-a-refresh-token" not in message


def test_without_a_login_a_call_says_how_to_log_in(oidc_env):
    with eojobs.connect("openeo") as conn, pytest.raises(eojobs.AuthenticationError) as caught:
        conn.jobs()
    assert str(caught.value).startswith(
        "not logged in to openeo: run `eojobs login openeo` (OpenID Connect, in a browser)")


def test_a_denied_device_login_fails_and_caches_nothing(oidc_env, issuer):
    code, out, err = login(issuer, action="deny")
    assert code == 1
    assert "error: the device login to openeo failed: " in err
    assert out == ""
    assert load_token("openeo", f"{oidc_env}|oidc||", expired=True) is None


def test_client_credentials_log_in_without_a_browser_and_keep_the_secret_out_of_the_cache(
        oidc_env, monkeypatch, tmp_path):
    monkeypatch.setenv("EOJOBS_OPENEO_CLIENT_ID", ROBOT[0])
    monkeypatch.setenv("EOJOBS_OPENEO_CLIENT_SECRET", ROBOT[1])
    with eojobs.connect("openeo") as conn:
        assert conn.jobs() == []
        bearer = conn.backend.client.token
    assert me(oidc_env, bearer).json()["user_id"] == ROBOT[0]
    path = token_path("openeo", f"{oidc_env}|oidc||{ROBOT[0]}")
    assert ROBOT[1] not in path.read_text()
    assert json.loads(path.read_text())["access_token"] == bearer


def test_a_wrong_client_secret_is_an_authentication_error_without_the_secret(oidc_env,
                                                                           monkeypatch):
    monkeypatch.setenv("EOJOBS_OPENEO_CLIENT_ID", ROBOT[0])
    monkeypatch.setenv("EOJOBS_OPENEO_CLIENT_SECRET", "wrong-secret-value")
    with eojobs.connect("openeo") as conn, pytest.raises(eojobs.AuthenticationError) as caught:
        conn.jobs()
    assert str(caught.value).startswith("the client credentials login to openeo failed: ")
    assert "wrong-secret-value" not in str(caught.value)


def test_an_unknown_provider_id_names_the_ones_there_are(oidc_env, monkeypatch):
    monkeypatch.setenv("EOJOBS_OPENEO_PROVIDER_ID", "egi")
    with eojobs.connect("openeo") as conn, pytest.raises(eojobs.ConfigError) as caught:
        conn.backend.login(lambda text: None)
    assert str(caught.value) == ("the openEO back-end has no OpenID Connect provider 'egi' "
                                 "(EOJOBS_OPENEO_PROVIDER_ID); it has: local")


def test_login_with_a_user_name_asks_only_for_the_password(openeo_env, monkeypatch):
    from click.testing import CliRunner

    from eojobs.cli import cli

    monkeypatch.delenv("EOJOBS_OPENEO_PASSWORD")
    ran = CliRunner().invoke(cli, ["login", "openeo"], input=openeo_env.password + "\n")
    assert ran.exit_code == 0, ran.stderr
    assert ran.stderr.startswith("Password: ")
    assert f"logged in to openeo as {openeo_env.username}" in ran.stderr
    assert openeo_env.password not in Path(token_path(
        "openeo", f"{openeo_env.server.url}|{openeo_env.username}")).read_text()


@pytest.mark.parametrize(("document", "message"), [
    ({"providers": 5}, "the openEO back-end offers no OpenID Connect provider; set "
                       "EOJOBS_OPENEO_USERNAME and EOJOBS_OPENEO_PASSWORD"),
    ({"providers": [{"id": "local", "issuer": "http://127.0.0.1:9", "default_clients": 5}]},
     "the OpenID Connect provider 'local' of this back-end lists no client eojobs may use "
     "for this login; set EOJOBS_OPENEO_CLIENT_ID to a client registered with it"),
])
def test_a_provider_list_of_the_wrong_shape_is_one_clear_error(oidc_env, oidc_server,
                                                              monkeypatch, document, message):
    monkeypatch.setattr(oidc_server.listing, "faults", {"/credentials/oidc": (200, document)})
    with eojobs.connect("openeo") as conn, pytest.raises(eojobs.EOJobsError) as caught:
        conn.backend.login(lambda text: None)
    assert str(caught.value) == message
