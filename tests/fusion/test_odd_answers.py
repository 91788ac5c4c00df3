"""Answers of an unexpected shape from a Fusion-like server: one clear error, no traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import eojobs
from eojobs.cli import cli
from tests.scripted_server import Answer, Seen, scripted_server

USER = "11111111-1111-1111-1111-111111111111"
ORG = "22222222-2222-2222-2222-222222222222"


def canned(answers: dict[str, object]):
    """A scripted server on 127.0.0.1 answering by path suffix with canned JSON."""

    def answer(request: Seen) -> Answer:
        path = request.path.split("?", 1)[0]
        body = next((a for suffix, a in answers.items() if path.endswith(suffix)),
                    {"error_message": "not here"})
        status = 404 if isinstance(body, dict) and "error_message" in body else 200
        return Answer(status, body=json.dumps(body).encode())

    return scripted_server(answer)


USER_ANSWER = {f"/users/{USER}": {"model": {"id": USER, "organisations": [{"id": ORG}]}}}


@pytest.mark.parametrize("answers", [
    {"/services/latest": {"list": {"not": "a list"}}},
    {"/services/latest": [1, 2]},
    {"/services/latest": {"list": [{"name": "no id"}]}},
    {"/services/latest": {"list": [{"id": 7, "name": None, "keywords": "x"}]}},
])
def test_odd_service_listings_are_one_backend_error(answers, monkeypatch):
    with canned({**USER_ANSWER, **answers}) as server:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        with eojobs.connect("fusion", email="me@org.com", retries=0) as conn:
            conn.backend.client.token = "token"
            conn.backend.auth.user_id = USER
            with pytest.raises(eojobs.BackendError):
                conn.services()


def test_the_cli_says_so_in_one_line(monkeypatch):
    with canned({**USER_ANSWER, "/services/latest": {"list": []},
                 "/processes": {"list": [{"id": USER, "created_at": "yesterday"}]}}) as server:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        monkeypatch.setattr("eojobs_fusion.auth.Authenticator.ensure", lambda self: (
            setattr(self.client, "token", "token") or USER))
        result = CliRunner().invoke(cli, ["-b", "fusion", "jobs"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: the Fusion Platform answered in an unexpected shape")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_model_that_does_not_validate_names_its_fields_not_pydantics_links(monkeypatch):
    answers = {"/services/latest": {"list": [{"id": 7, "name": None}]}}
    with canned({**USER_ANSWER, **answers}) as server:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        with eojobs.connect("fusion", email="me@org.com", retries=0) as conn:
            conn.backend.client.token = "token"
            conn.backend.auth.user_id = USER
            with pytest.raises(eojobs.BackendError) as caught:
                conn.services()
    message = str(caught.value)
    assert message.startswith("the Fusion Platform answered in an unexpected shape (")
    assert "errors.pydantic.dev" not in message and "\n" not in message
    assert ": Input should be a valid string" in message


def test_fusion_pages_that_go_on_from_the_same_place_are_an_error(monkeypatch):
    looping = {"list": [{"id": "s1"}], "last": {"id": "s1"}}
    with canned({**USER_ANSWER, "/services/latest": looping}) as server:
        monkeypatch.setenv("EOJOBS_FUSION_API_URL", server.url)
        with eojobs.connect("fusion", email="me@org.com", retries=0) as conn:
            conn.backend.client.token = "token"
            conn.backend.auth.user_id = USER
            with pytest.raises(eojobs.BackendError, match="the pages do not end"):
                conn.services()
        assert len([s for s in server.seen if "/services/latest" in s.path]) == 2
