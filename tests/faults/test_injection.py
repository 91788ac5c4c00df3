"""Each kind of fault, as a client with no retries meets it on the wire."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from eojobs_mock.server.faults import SEASONED_TOKEN_USES
from eojobs_mock.server.runner import MockServer, start_server
from tests.faults.conftest import use
from tests.server.conftest import Api

CONTENT = bytes(range(256)) * 4096


@pytest.fixture
def server(user_dir):
    running = start_server(user_dir, faults="seed=1")
    try:
        yield running
    finally:
        running.shutdown()


def login(server: MockServer) -> requests.Response:
    return requests.post(f"{server.url}/users/login", data=json.dumps(
        {"User": {"email": server.email, "user_id": None, "password": server.password}}))


def test_5xx_answers_without_handling_the_request(server):
    use(server, "api:5xx=1,posts=all,seed=3")
    answers = [login(server) for _ in range(12)]
    assert {a.status_code for a in answers} == {502, 503, 504}
    assert all("injected" in a.json()["error_message"] for a in answers)
    assert server.faults.kinds() == {"5xx": 12}
    use(server, "")
    assert login(server).status_code == 200


def test_429_says_when_to_try_again_and_posts_get_it_too(server):
    use(server, "api:429=1,retry-after=7")
    answer = login(server)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "7"
    use(server, "api:429=1")
    assert login(server).headers["Retry-After"] == "1"


def test_posts_only_get_the_faults_that_say_nothing_happened(server):
    use(server, "api:5xx=0.5,api:reset=0.5")
    assert all(login(server).status_code == 200 for _ in range(5))
    assert not server.faults.events


def test_a_reset_drops_the_connection_without_an_answer(server):
    use(server, "reset=1")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{server.url}/organisations", timeout=10)
    with pytest.raises(requests.ConnectionError):
        requests.put(f"{server.url}/uploads/x", data=CONTENT, timeout=10)
    assert server.faults.kinds() == {"reset": 2}
    use(server, "")
    assert requests.get(f"{server.url}/organisations", timeout=10).status_code == 404


def test_a_lost_answer_drops_the_connection_after_the_post_was_carried_out(server):
    api = Api(server.url, server.email, server.password)
    named = {"filter[name__eq]": "lost answer"}
    assert api.every(api.org_path("/data/uploaded"), **named) == []
    use(server, "api:lost=1,posts=all")
    with pytest.raises(requests.ConnectionError):
        api.raw("POST", api.org_path("/data"),
                body={"Data[organisation_id]": api.org, "Data[name]": "lost answer"})
    assert server.faults.kinds() == {"lost": 1}
    use(server, "")
    assert [d["name"] for d in api.every(api.org_path("/data/uploaded"), **named)] == \
        ["lost answer"]


def test_a_lost_execute_ran_the_process_and_charged_for_it(server):
    api = Api(server.url, server.email, server.password)
    process = api.create(region=api.region())
    credits = api.call("GET", api.org_path(f"/credits/{api.org}"))["model"]["any_credits"]
    use(server, "api:lost=1,posts=all")
    with pytest.raises(requests.ConnectionError):
        api.raw("POST", api.org_path(f"/processes/{process['id']}/execute"))
    use(server, "")
    after = api.call("GET", api.org_path(f"/credits/{api.org}"))["model"]["any_credits"]
    assert float(credits) - float(after) == pytest.approx(float(process["price"]))
    assert api.call("GET", api.org_path(f"/processes/{process['id']}"))["model"]["has_executions"]
    assert "already been executed" in api.error(
        "POST", api.org_path(f"/processes/{process['id']}/execute"), 409)


def test_a_lost_answer_needs_posts_all_and_spares_a_get(server):
    api = Api(server.url, server.email, server.password)
    use(server, "api:lost=1")
    assert login(server).status_code == 200
    use(server, "api:lost=1,posts=all")
    assert api.call("GET", f"/users/{api.user_id}")["model"]["id"] == api.user_id
    assert not server.faults.events


def test_a_download_is_cut_short_and_a_range_of_it_too(server):
    api = Api(server.url, server.email, server.password)
    data_id, file_id = api.upload(CONTENT, name="bytes.bin", file_type="Other")
    url = api.call("GET", api.org_path(f"/data/{data_id}/download_file/{file_id}"))["extras"]["url"]
    use(server, "blob:truncate=1,seed=4")
    for headers in ({}, {"Range": "bytes=1000-"}):
        with requests.get(url, headers=headers, stream=True, timeout=10) as answer:
            expected = int(answer.headers["Content-Length"])
            got = bytearray()
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                for chunk in answer.iter_content(65536):
                    got.extend(chunk)
        assert len(got) < expected
        start = 1000 if headers else 0
        assert bytes(got) == CONTENT[start:start + len(got)]
    tries = [t for t in server.faults.transfers if file_id in t.path]
    assert [t.range for t in tries] == [None, "bytes=1000-"]
    assert [t.status for t in tries] == [200, 206]
    use(server, "")
    assert requests.get(url, timeout=10).content == CONTENT


def test_an_api_answer_is_cut_short_but_only_for_a_get(server):
    api = Api(server.url, server.email, server.password)
    use(server, "api:truncate=1")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.raw("GET", f"/users/{api.user_id}")
    assert login(server).status_code == 200


def test_a_slow_answer_is_still_the_right_answer(server):
    api = Api(server.url, server.email, server.password)
    use(server, "api:slow=1,delay=0.01")
    assert api.call("GET", f"/users/{api.user_id}")["model"]["id"] == api.user_id
    assert server.faults.kinds() == {"slow": 1}


def test_an_expired_token_stays_expired_and_a_fresh_one_works_at_first(server):
    api = Api(server.url, server.email, server.password)
    use(server, "api:expire=1")
    uses_so_far = 1
    for _ in range(SEASONED_TOKEN_USES - uses_so_far):
        api.call("GET", f"/users/{api.user_id}")
    assert "expired" in api.error("GET", f"/users/{api.user_id}", 401)
    use(server, "")
    assert "expired" in api.error("GET", f"/users/{api.user_id}", 401)
    fresh = Api(server.url, server.email, server.password)
    assert fresh.call("GET", f"/users/{fresh.user_id}")["model"]["id"] == fresh.user_id


def test_the_same_seed_fails_the_same_requests_of_a_sequential_client(user_dir, tmp_path):
    def faulted(seed: int, home_name: str) -> list[tuple[int, str]]:
        with start_server(tmp_path / home_name,
                          faults=f"api:5xx=0.2,api:429=0.2,api:slow=0.1,delay=0,seed={seed}") \
                as server:
            for _ in range(30):
                requests.get(f"{server.url}/organisations", timeout=10)
            assert server.faults is not None
            return [(e.number, e.kind) for e in server.faults.events]

    first = faulted(8, "a")
    assert len(first) > 5
    assert faulted(8, "b") == first
    assert faulted(9, "c") != first


def test_serve_takes_the_spec_from_the_environment_and_says_so(user_dir):
    env = {**os.environ, "EOJOBS_MOCK_FAULTS": "api:429=1,retry-after=3,seed=5"}
    child = subprocess.Popen([sys.executable, "-m", "eojobs", "mock", "serve", "--port", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().split(" at ")[1].split()[0]
        answer = requests.get(f"{url}/organisations", timeout=10)
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "3"
    finally:
        child.terminate()
        _, stderr = child.communicate(timeout=10)
    assert "Injecting faults: 100% of API requests (429); seed 5" in stderr
    assert "fault 429 on GET /organisations" in stderr
