"""Bounded transfers (issue 10): every misbehaving server below is a real one on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from eojobs.bookkeeping import Bookkeeping
from eojobs.download import RetryPolicy, download_assets
from eojobs.errors import BackendError
from eojobs.http import HttpPolicy
from eojobs.models import Asset, JobInfo, JobStatus
from eojobs.waiting import WaitPolicy, wait_for_jobs
from eojobs_fusion.client import FusionClient
from tests.faults.rogue import Rogue, answer, chunk, elapsed_since, start_chunked, until_stopped

QUICK = HttpPolicy(backoff=0.01, backoff_max=0.05, read_timeout=5, request_timeout=5)
BODY = b"x" * 220
#: Hang guard: every test here ends in a few seconds; this only catches one that hangs.
HANG = 30.0


def client_of(rogue: Rogue, policy: HttpPolicy = QUICK) -> FusionClient:
    client = FusionClient(rogue.url, policy)
    client.token = "token"
    return client


def fetch(client: FusionClient, rogue: Rogue, dest: Path, size: int | None = 220,
          checksum: str | None = None, retry: RetryPolicy | None = None,
          url: str | None = None):
    """Download ``/blob`` of ``rogue`` to ``dest`` through the Fusion client's stream."""
    asset = Asset(name=dest.name, size=size, checksum=checksum, execution_id="e", href="d/f")
    return download_assets([(asset, dest)], lambda a, offset: client.open_url(
        url or rogue.url + "/blob", offset), progress=False,
        retry=retry or RetryPolicy(attempts=3, backoff=0.01))


# 1. A body that never ends stops at the declared size.

def endless_chunks(rogue: Rogue, sock, path: str) -> None:
    start_chunked(sock)
    until_stopped(rogue, lambda: chunk(sock, b"y" * 65536))


def test_an_endless_body_fails_at_the_size_the_file_record_declared(tmp_path):
    start = time.monotonic()
    with Rogue(endless_chunks) as rogue:
        report = fetch(client_of(rogue), rogue, tmp_path / "a.bin")
    assert elapsed_since(start) < HANG
    assert report.done == []
    [(path, reason)] = report.failed
    assert "the server sent more than the 220 bytes it declared" in reason
    assert rogue.hits == 1, "not a transient failure: tried once"
    part = Bookkeeping(tmp_path).part(tmp_path / "a.bin")
    assert not part.exists() or part.stat().st_size == 0


def test_a_body_past_its_content_length_is_not_read(tmp_path):
    def overlong(rogue: Rogue, sock, path: str) -> None:
        answer(sock, 200, BODY)
        until_stopped(rogue, lambda: sock.sendall(b"z" * 65536))

    with Rogue(overlong) as rogue:
        report = fetch(client_of(rogue), rogue, tmp_path / "a.bin", size=None)
    assert report.done == [tmp_path / "a.bin"], report.failed
    assert report.unverified == []
    assert (tmp_path / "a.bin").read_bytes() == BODY


# 2. No size known at all: the report says the file is unverified.

def chunked_body(rogue: Rogue, sock, path: str) -> None:
    start_chunked(sock)
    chunk(sock, BODY)
    chunk(sock, b"")


def test_a_file_of_no_known_size_is_reported_unverified(tmp_path):
    with Rogue(chunked_body) as rogue:
        report = fetch(client_of(rogue), rogue, tmp_path / "a.bin", size=None)
        checked = fetch(client_of(rogue), rogue, tmp_path / "b.bin", size=None,
                        checksum=hashlib.sha256(BODY).hexdigest())
    assert report.done == [tmp_path / "a.bin"]
    assert report.unverified == [tmp_path / "a.bin"]
    assert report.to_dict()["unverified"] == [str(tmp_path / "a.bin")]
    assert checked.done == [tmp_path / "b.bin"] and checked.unverified == []


def test_a_checksum_still_verifies_a_file_of_no_known_size(tmp_path):
    with Rogue(chunked_body) as rogue:
        report = fetch(client_of(rogue), rogue, tmp_path / "a.bin", size=None,
                       checksum="0" * 64)
    [(_, reason)] = report.failed
    assert "checksum does not match" in reason


# 3. Deadlines, least speeds, and naming what happened.

def drip(rogue: Rogue, sock, path: str) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000\r\n\r\n")
    until_stopped(rogue, lambda: sock.sendall(b" "), every=0.1)


def test_an_api_answer_that_drips_ends_at_the_request_deadline():
    start = time.monotonic()
    policy = HttpPolicy(backoff=0.01, read_timeout=5, request_timeout=0.5)
    with Rogue(drip) as rogue, pytest.raises(BackendError) as caught:
        client_of(rogue, policy).request("GET", "/services")
    assert elapsed_since(start) < HANG
    assert "the answer of GET /services took longer than 0.5 s" in str(caught.value)
    assert rogue.hits == 1


def test_a_server_that_never_answers_is_a_read_timeout_not_a_connect_failure():
    def silent(rogue: Rogue, sock, path: str) -> None:
        rogue.pause(HANG)

    policy = HttpPolicy(backoff=0.01, read_timeout=0.3)
    with Rogue(silent) as rogue, pytest.raises(BackendError) as caught:
        client_of(rogue, policy).request("GET", "/services")
    message = str(caught.value)
    assert "accepted the connection but sent nothing for 0.3 s" in message
    assert "could not connect" not in message
    assert rogue.hits == 1


def test_a_refused_connection_is_a_connect_failure_naming_host_and_port():
    with Rogue(silent_close) as rogue:
        url = rogue.url
    client = FusionClient(url, HttpPolicy(retries=1, backoff=0.01))
    client.token = "token"
    with pytest.raises(BackendError, match=f"could not connect to {url[7:]}") as caught:
        client.request("GET", "/services")
    assert caught.value.transient


def silent_close(rogue: Rogue, sock, path: str) -> None:
    sock.close()


def test_a_download_under_the_least_speed_fails_naming_it(tmp_path):
    def slow(rogue: Rogue, sock, path: str) -> None:
        start_chunked(sock)
        until_stopped(rogue, lambda: chunk(sock, b"s"), every=0.05)

    retry = RetryPolicy(attempts=3, backoff=0.01, min_speed=1000, speed_window=0.5)
    start = time.monotonic()
    with Rogue(slow) as rogue:
        report = fetch(client_of(rogue), rogue, tmp_path / "a.bin", size=10_000, retry=retry)
    assert elapsed_since(start) < HANG
    [(_, reason)] = report.failed
    assert "slower than the 1000 bytes/s" in reason
    assert Bookkeeping(tmp_path).part(tmp_path / "a.bin").stat().st_size > 0, "kept to resume"


# 4. Permanent failures are not retried.

@pytest.mark.parametrize("url", ["file:///etc/hostname", "blob/relative"])
def test_a_url_that_is_not_http_fails_at_once(tmp_path, url):
    with Rogue(chunked_body) as rogue:
        start = time.monotonic()
        report = fetch(client_of(rogue), rogue, tmp_path / "a.bin",
                       retry=RetryPolicy(attempts=6, backoff=5.0), url=url)
        assert elapsed_since(start) < 5.0, "no retry pause was taken"
    [(_, reason)] = report.failed
    assert "is not an http(s) URL" in reason


def test_a_4xx_download_fails_at_once_but_a_408_is_retried(tmp_path):
    def forbidden(rogue: Rogue, sock, path: str) -> None:
        answer(sock, 403 if rogue.hits == 1 else 200, BODY)

    with Rogue(forbidden) as rogue:
        report = fetch(client_of(rogue), rogue, tmp_path / "a.bin")
    assert rogue.hits == 1
    assert "HTTP 403" in report.failed[0][1]

    def timeout_first(rogue: Rogue, sock, path: str) -> None:
        answer(sock, 408 if rogue.hits == 1 else 200, BODY)

    with Rogue(timeout_first) as rogue:
        report = fetch(client_of(rogue), rogue, tmp_path / "b.bin")
    assert report.done == [tmp_path / "b.bin"]
    assert rogue.hits == 2


def test_a_redirect_loop_fails_at_once():
    def loop(rogue: Rogue, sock, path: str) -> None:
        answer(sock, 302, b"", {"Location": "/again"})

    policy = HttpPolicy(backoff=0.01, max_redirects=3)
    with Rogue(loop) as rogue, pytest.raises(BackendError) as caught:
        client_of(rogue, policy).request("GET", "/services")
    assert "redirects more than 3 times" in str(caught.value)
    assert not caught.value.transient
    assert rogue.hits == 4


# 5. Answers read into memory are bounded in size and depth.

def test_an_api_answer_over_the_size_limit_is_refused():
    big = json.dumps({"list": ["x" * 1000] * 10_000}).encode()

    def declared(rogue: Rogue, sock, path: str) -> None:
        answer(sock, 200, big)

    def undeclared(rogue: Rogue, sock, path: str) -> None:
        start_chunked(sock)
        for start in range(0, len(big), 65536):
            chunk(sock, big[start:start + 65536])
        chunk(sock, b"")

    policy = HttpPolicy(backoff=0.01, max_answer_bytes=1 << 20)
    for behave in (declared, undeclared):
        with Rogue(behave) as rogue, pytest.raises(BackendError) as caught:
            client_of(rogue, policy).request("GET", "/big")
        assert "the answer of GET /big" in str(caught.value)
        assert "the 1 MiB allowed" in str(caught.value)
        assert rogue.hits == 1


def test_deeply_nested_json_is_one_clear_error():
    deep = b"[" * 100_000 + b"]" * 100_000

    def nested(rogue: Rogue, sock, path: str) -> None:
        answer(sock, 200 if path == "/x" else 500, deep)

    with Rogue(nested) as rogue:
        client = client_of(rogue)
        with pytest.raises(BackendError, match="the answer of GET /x is nested too deeply"):
            client.request("GET", "/x")
        with pytest.raises(BackendError, match="HTTP 500"):
            client.request("GET", "/error")


# 6. An answer of the wrong shape names its endpoint.

@pytest.mark.parametrize("body", [{"model": {"id": "p"}}, [{"id": "p"}], {"list": "p"},
                                  {"list": ["p"]}])
def test_an_answer_that_is_not_a_page_is_an_error_not_an_empty_list(body):
    def shaped(rogue: Rogue, sock, path: str) -> None:
        answer(sock, 200, json.dumps(body).encode())

    with Rogue(shaped) as rogue, pytest.raises(BackendError) as caught:
        list(client_of(rogue).processes("org"))
    assert "GET /organisations/org/processes" in str(caught.value)
    assert "not a page of items" in str(caught.value)


# 7. One retry budget per operation: count what reaches a server that always answers 503.

def unavailable(rogue: Rogue, sock, path: str) -> None:
    answer(sock, 503, b'{"error_message": "unavailable"}', {"Retry-After": "0"})


def test_one_get_against_503_is_sent_retries_plus_one_times():
    with Rogue(unavailable) as rogue, pytest.raises(BackendError, match="unavailable"):
        client_of(rogue).request("GET", "/services")
    assert rogue.hits == QUICK.retries + 1


def test_a_status_poll_in_a_wait_is_sent_within_the_wait_budget_alone():
    def fetch_jobs(ids: list[str]) -> list[JobInfo]:
        client.request("GET", "/organisations/o/processes")
        return [JobInfo(id="j", name="j", service_id="s", service_name="s",
                        status=JobStatus.SUCCEEDED)]

    with Rogue(unavailable) as rogue:
        client = client_of(rogue)
        with pytest.raises(BackendError, match="unavailable"):
            wait_for_jobs(fetch_jobs, ["j"], timeout=HANG, intervals=(0.01, 0.01),
                          progress=False, label="j", policy=WaitPolicy(soft_errors=3))
    assert rogue.hits == 3 + 1


def test_one_download_against_503_is_tried_attempts_times_in_all(tmp_path):
    def opener(asset: Asset, offset: int):
        url = client.download_url("o", "d", "f")
        return client.open_url(url, offset)

    with Rogue(unavailable) as rogue:
        client = client_of(rogue)
        asset = Asset(name="a.bin", size=220, execution_id="e", href="d/f")
        report = download_assets([(asset, tmp_path / "a.bin")], opener, progress=False,
                                 retry=RetryPolicy(attempts=4, backoff=0.01))
    assert "unavailable" in report.failed[0][1]
    assert rogue.hits == 4


def unavailable_for_a_while(rogue: Rogue, sock, path: str) -> None:
    answer(sock, 503, b'{"error_message": "unavailable"}')


def test_a_wait_against_503_ends_at_its_timeout_as_a_timeout():
    from eojobs.errors import WaitTimeout

    slow_backoff = HttpPolicy(connect_timeout=2, read_timeout=2, retries=50, backoff=0.2,
                              backoff_max=0.5, retry_seconds=600)

    def fetch_jobs(ids: list[str]) -> list[JobInfo]:
        client.request("GET", "/organisations/o/processes")
        return []

    with Rogue(unavailable_for_a_while) as rogue:
        client = client_of(rogue, slow_backoff)
        start = time.monotonic()
        with pytest.raises(WaitTimeout):
            wait_for_jobs(fetch_jobs, ["j"], timeout=1.0, intervals=(0.05, 0.05),
                          progress=False, label="j", policy=WaitPolicy(soft_errors=100))
        assert elapsed_since(start) < 5, "the retries inside a poll end with the wait"


@pytest.mark.parametrize(("repeatable", "sends"), [(None, 1), (True, 3)])
def test_a_post_that_only_reads_is_asked_again_after_a_503_when_said_repeatable(repeatable,
                                                                               sends):
    from eojobs.http import make_session, send
    from tests.scripted_server import Answer, scripted_server

    def answer(seen) -> Answer:
        return Answer(503, body={"down": True}) if len(server.seen) < 3 else Answer(200, body={})

    with scripted_server(answer) as server:
        response = send(make_session(QUICK), QUICK, "POST", server.url + "/search",
                        json={"limit": 1}, repeatable=repeatable)
        assert len(server.seen) == sends
    assert response.status_code == (200 if repeatable else 503)
