"""The one retry policy of eojobs, and the budget every retrying layer shares.

Each layer below may try something again after a *transient* failure, but
they do not multiply: an operation has one :class:`RetryBudget` (a number of
retries and a number of seconds), every failed request inside it spends from
that budget whichever layer notices the failure, and a layer that finds the
budget spent gives up. The outermost layer that starts an operation sets the
budget; layers inside it find it through :func:`operation`.

=====================  ==========================================  ===========================
layer                  what it tries again                          budget
=====================  ==========================================  ===========================
urllib3 (``http.py``)  nothing                                      0 retries
``http.send``          connect failures (any method); 408, 502,     the operation's; alone, one
                       503, 504 and resets (idempotent methods);    request: ``HttpPolicy.
                       429 (any method); a body that broke off      retries`` (5: 6 tries) and
                       (GET, HEAD, OPTIONS). Never: a read          ``retry_seconds`` (120 s)
                       timeout, a request over its deadline, any
                       other 4xx, a bad URL, a redirect loop
401 renewal            the same request with a new token (not a     at most 3 sends, in the
(``eojobs_fusion``)    failure: it spends nothing)                  request's budget
``outcome.repeat_      a POST whose answer was lost, once a read    ``retries`` (5) for the
unless_done``          of the state shows it did not happen         POST and its reads together
download engine        one file, resumed from where it stopped      ``RetryPolicy.attempts`` (6
                                                                    tries) for the file, its
                                                                    signed-URL call included
``waiting`` (a wait)   a failed status poll, at the next poll       ``WaitPolicy``: 30 retries
                                                                    and 900 s per run of
                                                                    failures; a success resets
=====================  ==========================================  ===========================

So against a server that always answers 503, one GET is sent 6 times, a wait
polls 31 times before it gives up, and one file download is tried 6 times.
Backoff between tries is :func:`eojobs.backoff.backoff_delay` (or the
server's ``Retry-After``, capped) everywhere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class RetryBudget:
    """The transient failures one operation may ride out: ``retries`` of them in ``seconds``.

    The seconds run from the first failure of the current run of failures;
    :meth:`reset` (after a success, where a layer wants that) starts afresh.
    """

    def __init__(self, retries: int, seconds: float = math.inf,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.retries = retries
        self.seconds = seconds
        self.clock = clock
        self.failures = 0
        self._since: float | None = None
        #: A moment (of ``clock``) after which no retry is allowed, whatever is left.
        self.deadline: float | None = None

    def fail(self) -> bool:
        """Count one failure; True if another try is still within the budget."""
        now = self.clock()
        if self._since is None:
            self._since = now
        self.failures += 1
        return self.allows()

    def allows(self) -> bool:
        """Whether the failures so far leave room for another try."""
        return self.failures <= self.retries and self.seconds_left() > 0

    def allows_pause(self, pause: float) -> bool:
        """Whether another try after sleeping ``pause`` seconds still fits in the budget."""
        return self.allows() and pause < self.seconds_left()

    def seconds_left(self) -> float:
        """Seconds left of the run's time budget, and before the deadline if there is one."""
        now = self.clock()
        left = self.seconds if self._since is None else self.seconds - (now - self._since)
        return left if self.deadline is None else min(left, self.deadline - now)

    def charge(self, failures_before: int) -> bool:
        """After a step failed: count it unless an inner layer did; True if a retry is allowed.

        ``failures_before`` is :attr:`failures` as it was when the step began.
        """
        if self.failures == failures_before:
            return self.fail()
        return self.allows()

    def reset(self) -> None:
        """A success ends the run of failures."""
        self.failures = 0
        self._since = None


_current: ContextVar[RetryBudget | None] = ContextVar("eojobs_retry_budget", default=None)


@contextmanager
def operation(make: Callable[[], RetryBudget]) -> Iterator[RetryBudget]:
    """Run an operation within a budget: the one already under way, else ``make()``'s."""
    budget = _current.get()
    if budget is not None:
        yield budget
        return
    budget = make()
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


@contextmanager
def own_budget(budget: RetryBudget) -> Iterator[RetryBudget]:
    """Run the layers inside with ``budget``, even inside another operation."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)
