"""Where the password and the bearer token may go: never through a redirect, off this machine
over plain http, or to another origin (issue 10). Each test runs real servers on 127.0.0.1."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from eojobs.cli import cli
from eojobs.credentials import is_loopback
from eojobs.errors import InputError
from eojobs_fusion.auth import Authenticator
from eojobs_fusion.client import FusionClient
from tests.conftest import GLASGOW
from tests.scripted_server import Answer, scripted_server

PASSWORD = "Pw-Secret-0123"
TOKEN = "tok-Bearer-Secret-4567"


def authorization(headers: dict[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)


@pytest.mark.parametrize("elsewhere_path", ["/users/login?token=leaked-query-value", None])
def test_login_never_follows_a_redirect_with_the_password(monkeypatch, elsewhere_path):
    with scripted_server() as elsewhere:
        target = f"{elsewhere.url}{elsewhere_path}" if elsewhere_path else "/v2/users/login"
        with scripted_server(lambda r: Answer(307, {"Location": target})) as api:
            monkeypatch.setenv("EOJOBS_FUSION_API_URL", api.url)
            monkeypatch.setenv("EOJOBS_FUSION_EMAIL", "me@org.com")
            monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", PASSWORD)
            result = CliRunner().invoke(cli, ["login", "fusion"], catch_exceptions=False)
    assert result.exit_code == 1
    assert [(s.method, s.path) for s in api.seen] == [("POST", "/users/login")]
    assert elsewhere.seen == []
    shown = (f"{elsewhere.url}/users/login?token=REDACTED" if elsewhere_path
             else "/v2/users/login")
    assert result.stderr == (
        f"error: POST /users/login: the server answered HTTP 307, pointing to {shown}; not "
        "following it with credentials (check the API URL)\n")
    assert PASSWORD not in result.output + result.stderr
    assert "leaked-query-value" not in result.stderr


def test_the_password_is_never_sent_over_plain_http_off_this_machine(monkeypatch):
    # The "proxy" is a recorder: any request for example.org over http would reach it.
    with scripted_server(lambda r: Answer(body={})) as proxy:
        for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", proxy.url)
        client = FusionClient("http://example.org")
        with pytest.raises(InputError) as refused:
            Authenticator(client, "me@org.com", None, PASSWORD).login()
        assert str(refused.value) == ("refusing to send the password over plain http to "
                                      "example.org; use https")
        client.token = TOKEN
        with pytest.raises(InputError, match="refusing to send the access token over plain "
                                             "http to example.org; use https"):
            client.request("GET", "/users/me")
        assert proxy.seen == []
        # The route is real: a request without credentials does get there.
        client.request("GET", "/health", auth=False)
        assert [s.path for s in proxy.seen] == ["http://example.org/health"]
        assert authorization(proxy.seen[0].headers) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_loopback_is_the_only_place_plain_http_may_carry_credentials(host):
    assert is_loopback(host.strip("[]"))
    assert not is_loopback("example.org") and not is_loopback("10.0.0.1")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_bearer_token_stays_with_the_api_on_redirects(host):
    with scripted_server(lambda r: Answer(body={"model": {"id": "moved"}})) as elsewhere:
        other = elsewhere.url.replace("127.0.0.1", host)

        def api_answer(seen):
            if seen.path == "/users/here":
                return Answer(body={"model": {"id": "same"}})
            if seen.path == "/users/same-origin":
                return Answer(307, {"Location": "/users/here"})
            return Answer(307, {"Location": f"{other}/users/moved?signature=sig-value"})

        with scripted_server(api_answer) as api:
            client = FusionClient(api.url)
            client.token = TOKEN
            assert client.model("GET", "/users/moved") == {"id": "moved"}
            assert client.model("GET", "/users/same-origin") == {"id": "same"}
    assert [s.path for s in elsewhere.seen] == ["/users/moved?signature=sig-value"]
    assert authorization(elsewhere.seen[0].headers) is None
    # On the API's own origin the token does follow: the recorder would have seen it.
    assert [authorization(s.headers) for s in api.seen] == [f"Bearer {TOKEN}"] * 3


def test_signed_download_urls_on_other_hosts_get_no_token():
    with scripted_server(lambda r: Answer(body=b"the bytes")) as blobs:
        def storage(seen):
            return Answer(302, {"Location": f"{blobs.url}/final?X-Amz-Signature=s2"})

        with scripted_server(storage) as front, scripted_server() as api:
            client = FusionClient(api.url)
            client.token = TOKEN
            with client.open_url(f"{blobs.url}/blob?expires=1&signature=s1") as stream:
                assert stream.read() == b"the bytes"
            with client.open_url(f"{front.url}/blob?expires=1&signature=s1") as stream:
                assert stream.read() == b"the bytes"
    assert [s.path for s in blobs.seen] == ["/blob?expires=1&signature=s1",
                                            "/final?X-Amz-Signature=s2"]
    assert [authorization(s.headers) for s in blobs.seen + front.seen] == [None] * 3


def test_what_an_untrusted_server_echoes_back_is_masked_in_the_error(monkeypatch):
    echo = {"error_message": f"no such user; you sent {PASSWORD}, see "
                             "https://evil.example/help?token=Echoed-Token-1"}
    with scripted_server(lambda r: Answer(400, body=echo)) as api:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", api.url)
        monkeypatch.setenv("EOJOBS_FUSION_EMAIL", "me@org.com")
        monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", PASSWORD)
        result = CliRunner().invoke(cli, ["-b", "fusion", "services"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: POST /users/login: no such user; you sent "
                                    "REDACTED, see https://evil.example/help?token=REDACTED")
    assert PASSWORD not in result.stderr and "Echoed-Token-1" not in result.stderr


def test_a_notice_masks_a_signed_url_in_a_job_name():
    name = "from https://h/x?expires=1&signature=Sig-In-Name-1"
    result = CliRunner().invoke(cli, ["create", "elevation", "-r", str(GLASGOW), "-n", name],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "(from https://h/x?expires=1&signature=REDACTED)" in result.stderr
    assert "Sig-In-Name-1" not in result.stderr
