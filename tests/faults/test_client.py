"""The client-side fixes the fault runs called for, each pinned by one focused test."""

from __future__ import annotations

import io
import threading
import time

import pytest

from eojobs.download import RetryPolicy, download_assets
from eojobs.errors import BackendError
from eojobs.http import HttpPolicy
from eojobs.models import Asset
from eojobs_fusion.auth import Authenticator
from eojobs_fusion.client import FusionClient
from tests.faults.conftest import faulty_server

QUICK = HttpPolicy(backoff=0.01, backoff_max=0.05)


def logged_in(server) -> tuple[FusionClient, str]:
    """A client that logs in again on 401, as the Fusion backend sets it up; and the user id."""
    client = FusionClient(server.url, QUICK)
    auth = Authenticator(client, server.email, None, server.password)
    client.on_unauthorised = auth.renew
    return client, auth.login()


def test_a_post_refused_with_429_is_sent_again(user_dir):
    with faulty_server(user_dir, "api:429=0.5,retry-after=0,seed=2") as server:
        client = FusionClient(server.url, QUICK)
        for _ in range(10):
            assert client.login(server.email, None, server.password)["access_token"]
        assert set(server.faults.kinds()) == {"429"}
        assert server.faults.kinds()["429"] >= 3


def test_a_get_whose_answer_broke_off_is_asked_again(user_dir):
    with faulty_server(user_dir, "api:truncate=0.5,seed=3") as server:
        client, user_id = logged_in(server)
        for _ in range(10):
            assert client.get_user(user_id)["id"] == user_id
        assert server.faults.kinds()["truncate"] >= 3


def test_threads_whose_token_expired_share_one_new_login(user_dir):
    with faulty_server(user_dir, "api:expire=0.3,seed=4") as server:
        client, user_id = logged_in(server)
        renew, logins = client.on_unauthorised, []

        def counted_renew() -> str | None:
            logins.append(1)
            return renew()

        client.on_unauthorised = counted_renew
        errors: list[Exception] = []

        def work() -> None:
            try:
                for _ in range(25):
                    client.get_user(user_id)
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        expiries = server.faults.kinds()["expire"]
        assert expiries >= 3
        # Threads refused with the same expired token wait for one login, not one each.
        assert 1 <= len(logins) <= expiries


def test_a_slow_cancel_callable_does_not_break_the_retry_pause(tmp_path):
    data = b"x" * 1000
    tries: list[int] = []

    def opener(asset: Asset, offset: int) -> io.BytesIO:
        tries.append(offset)
        if len(tries) == 1:
            raise BackendError("503", transient=True)
        return io.BytesIO(data[offset:])

    def slow_cancel() -> bool:
        time.sleep(0.02)
        return False

    asset = Asset(name="a.bin", size=len(data), execution_id="e", href="a.bin")
    report = download_assets([(asset, tmp_path / "a.bin")], opener, progress=False,
                             retry=RetryPolicy(attempts=3, backoff=0.01), cancel=slow_cancel)
    assert report.ok, report.failed
    assert tries == [0, 0]
    assert (tmp_path / "a.bin").read_bytes() == data


def test_a_server_that_refuses_every_token_costs_two_sends_and_one_login():
    from eojobs.errors import AuthenticationError
    from eojobs_fusion.client import FusionClient
    from tests.scripted_server import Answer, scripted_server

    logins = []

    def log_in_again() -> str:
        logins.append(1)
        return f"token-{len(logins)}"

    with scripted_server(lambda r: Answer(401, body={"error_message": "token expired"})) as api:
        client = FusionClient(api.url)
        client.token = "token-0"
        client.on_unauthorised = log_in_again
        with pytest.raises(AuthenticationError):
            client.request("GET", "/users/me")
    assert len(api.seen) == 2 and len(logins) == 1
