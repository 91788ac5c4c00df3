"""Non-idempotent calls whose answer was lost: repeat one only once it surely did not happen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from eojobs.backoff import backoff_delay
from eojobs.errors import BackendError, EOJobsError
from eojobs.retrying import RetryBudget, operation

T = TypeVar("T")
#: The least pause before the state is read, whatever the backoff setting (even 0): a call
#: still under way upstream must have a moment to land, or it is taken for one that failed.
SETTLE_S = 0.2


def repeat_unless_done(
    act: Callable[[], T],
    outcome: Callable[[], T | None],
    *,
    what: str,
    retries: int,
    backoff: float,
    backoff_max: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``act()``, repeated after a transient failure only where ``outcome`` shows it did not happen.

    A transient BackendError (a reset, a timeout, a 5xx) leaves open whether
    the server carried out the call. After a pause (``backoff`` doubling up
    to ``backoff_max``, with jitter, which also gives a request still under
    way upstream time to land), ``outcome()`` reads the state with safe
    calls: what ``act`` would have returned if it took effect, or None if it
    surely did not. Only then is ``act`` repeated, at most ``retries`` times
    in all: failed requests of ``act`` and of ``outcome``, and their HTTP
    retries, spend one shared budget (see :mod:`eojobs.retrying`).
    If the state cannot be read, nothing is repeated: the error says so and
    is not transient, so that no caller repeats the call blindly either.
    Errors that are not transient (refusals) are raised at once.
    """
    with operation(lambda: RetryBudget(retries)) as budget:
        return _repeat(act, outcome, what, budget, backoff, backoff_max, sleep)


def _repeat(act: Callable[[], T], outcome: Callable[[], T | None], what: str,
            budget: RetryBudget, backoff: float, backoff_max: float,
            sleep: Callable[[float], None]) -> T:
    attempt = 0
    while True:
        before = budget.failures
        try:
            return act()
        except BackendError as exc:
            if not exc.transient:
                raise
            failure = exc
        budget.charge(before)
        attempt += 1
        sleep(max(SETTLE_S, backoff_delay(attempt, backoff, backoff_max)))
        try:
            done = outcome()
        except EOJobsError as exc:
            raise BackendError(
                f"{failure}; whether {what} took effect is unknown, as reading it failed "
                f"too ({exc}): check before trying again") from exc
        if done is not None:
            return done
        if not budget.allows():
            raise BackendError(f"{failure}; {what} did not take effect after {attempt} "
                               f"tries: try again later", transient=True) from failure
