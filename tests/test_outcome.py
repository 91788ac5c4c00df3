"""A non-idempotent call is repeated only where a read shows it did not take effect."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eojobs.errors import BackendError, InputError, NotFound
from eojobs.outcome import repeat_unless_done


class Calls:
    """An action that fails with ``errors`` in turn, then answers ``"done"``."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.acts = 0

    def act(self) -> str:
        self.acts += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def run(calls: Calls, outcome: Callable[[], str | None],
        retries: int = 3) -> tuple[str, list[float]]:
    pauses: list[float] = []
    result = repeat_unless_done(calls.act, outcome, what="the call", retries=retries,
                                backoff=1.0, backoff_max=3.0, sleep=pauses.append)
    return result, pauses


def lost() -> BackendError:
    return BackendError("POST /x: could not connect", transient=True)


def test_a_call_that_took_effect_is_not_repeated():
    calls = Calls(lost())
    assert run(calls, lambda: "seen done")[0] == "seen done"
    assert calls.acts == 1


def test_a_call_that_did_not_take_effect_is_repeated_with_growing_jittered_pauses():
    calls = Calls(lost(), lost(), lost())
    result, pauses = run(calls, lambda: None)
    assert result == "done" and calls.acts == 4
    assert 0.5 <= pauses[0] <= 1.0 and 1.0 <= pauses[1] <= 2.0 and 1.5 <= pauses[2] <= 3.0


def test_repeats_are_bounded_and_the_last_error_is_transient():
    calls = Calls(*[lost() for _ in range(10)])
    with pytest.raises(BackendError, match="did not take effect after 3 tries") as error:
        run(calls, lambda: None, retries=2)
    assert error.value.transient and calls.acts == 3


def test_nothing_is_repeated_when_the_state_cannot_be_read():
    calls = Calls(lost())

    def unreadable() -> str | None:
        raise BackendError("GET /x: 503", transient=True)

    with pytest.raises(BackendError, match="whether the call took effect is unknown") as error:
        run(calls, unreadable)
    assert not error.value.transient and calls.acts == 1


@pytest.mark.parametrize("refusal", [InputError("bad"), NotFound("gone"),
                                     BackendError("broken", transient=False)])
def test_a_refusal_is_raised_at_once_without_a_read(refusal):
    calls = Calls(refusal)

    def never() -> str | None:
        raise AssertionError("read")

    with pytest.raises(type(refusal)):
        run(calls, never)
    assert calls.acts == 1
