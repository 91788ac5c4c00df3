from __future__ import annotations

import stat

import jwt
import pytest
import requests

from eojobs_mock.server.auth import SECRET_FILE, TokenIssuer, derive_key, workspace_secret
from eojobs_mock.server.runner import start_server
from eojobs_mock.server.state import ServerOptions
from tests.server.conftest import Api

WRONG = "Incorrect username or password."


def login(server, **user):
    body = {"User": {"email": None, "user_id": None, "password": None, **user}}
    return requests.post(f"{server.url}/users/login", json=body)


def test_login_returns_three_tokens_whose_id_token_names_the_user(mock_server):
    response = login(mock_server, email="me@org.com", password="MyPassword123!")
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"id_token", "access_token", "refresh_token"}
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["sub"] == mock_server.state.user_id
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] in (86400, 86401)  # the end rounded up
    forged = TokenIssuer(derive_key(b"another workspace", "jwt"), 60, clock=__import__(
        "time").time).issue(mock_server.state.user_id, "me@org.com")
    path = f"{mock_server.url}/users/{mock_server.state.user_id}"
    assert requests.get(path, headers={"Authorization": f"Bearer {forged.access_token}"}
                        ).status_code == 401
    assert requests.get(path, headers={"Authorization": f"Bearer {tokens['access_token']}"}).ok


def test_login_by_user_id_and_case_insensitive_email(mock_server):
    assert login(mock_server, user_id=mock_server.state.user_id,
                 password="MyPassword123!").status_code == 200
    assert login(mock_server, email="ME@ORG.COM", password="MyPassword123!").status_code == 200


@pytest.mark.parametrize("user", [
    {"email": "me@org.com", "password": "MyPassword123"},
    {"email": "someone@org.com", "password": "MyPassword123!"},
])
def test_wrong_credentials_are_a_400_with_the_message_the_sdk_cli_looks_for(mock_server, user):
    response = login(mock_server, **user)
    assert response.status_code == 400
    assert response.json() == {"error_message": WRONG}


def test_missing_password_or_identity_is_a_400_saying_which(mock_server):
    assert "password" in login(mock_server, email="me@org.com").json()["error_message"]
    assert "email" in login(mock_server, password="x").json()["error_message"]


@pytest.mark.parametrize("header", [None, "Bearer", "Basic abc", "Bearer not-a-jwt"])
def test_missing_or_invalid_bearer_tokens_get_401(mock_server, header):
    path = f"{mock_server.url}/users/{mock_server.state.user_id}"
    headers = {} if header is None else {"Authorization": header}
    response = requests.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error_message"]


def test_expired_and_non_access_tokens_get_401(mock_server, user_dir):
    key = derive_key(workspace_secret(user_dir / "mock"), "jwt")
    past = TokenIssuer(key, 60, clock=lambda: 1_000_000.0).issue(mock_server.state.user_id, "x")
    path = f"{mock_server.url}/users/{mock_server.state.user_id}"
    expired = requests.get(path, headers={"Authorization": f"Bearer {past.access_token}"})
    assert expired.status_code == 401
    assert "expired" in expired.json()["error_message"]
    fresh = TokenIssuer(key, 60, clock=__import__("time").time).issue(mock_server.state.user_id,
                                                                     "x")
    assert requests.get(path, headers={"Authorization": f"Bearer {fresh.access_token}"}).ok
    for token in (fresh.id_token, fresh.refresh_token):
        assert requests.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_token_lifetime_is_configurable_and_the_secret_file_is_private(user_dir):
    with start_server(user_dir, options=ServerOptions(token_lifetime_s=5)) as server:
        tokens = login(server, email="me@org.com", password="MyPassword123!").json()
    access = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert access["exp"] - access["iat"] in (5, 6)  # whole seconds, the end rounded up
    assert stat.S_IMODE((user_dir / "mock" / SECRET_FILE).stat().st_mode) == 0o600


def test_the_account_is_set_by_the_server_options_and_passwords_follow_the_policy(user_dir):
    options = ServerOptions(email="demo@example.com", password="An0ther-pass")
    with start_server(user_dir, options=options) as server:
        assert login(server, email="demo@example.com", password="An0ther-pass").ok
        assert login(server, email="me@org.com", password="MyPassword123!").status_code == 400
    with pytest.raises(ValueError, match="upper-case"):
        start_server(user_dir, options=ServerOptions(password="weakpassword"))


def test_change_password(api: Api, mock_server):
    path = f"/users/{api.user_id}/change_password"
    assert api.error("POST", path, 400, body={
        "User": {"old_password": "nope", "new_password": "N3w-password"}}) == WRONG
    assert "special" in api.error("POST", path, 400, body={
        "User": {"old_password": "MyPassword123!", "new_password": "short"}})
    assert api.call("POST", path, body={
        "User": {"old_password": "MyPassword123!", "new_password": "N3w-password"}}) == {}
    assert login(mock_server, email="me@org.com", password="N3w-password").ok
    assert login(mock_server, email="me@org.com", password="MyPassword123!").status_code == 400


def test_other_users_and_organisations_are_not_found(api: Api):
    other = "00000000-0000-4000-8000-000000000000"
    assert api.error("GET", f"/users/{other}", 404)
    assert api.error("GET", f"/organisations/{other}", 404)
    assert api.error("GET", f"/organisations/{other}/services/latest", 404)
