"""Waiting: one polling loop with adaptive intervals, a timeout and a soft-error budget."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from eojobs.errors import BackendError, InputError, WaitTimeout
from eojobs.models import JobInfo
from eojobs.retrying import RetryBudget, own_budget

BACKOFF = 1.5


def poll_intervals(fastest: float, slowest: float) -> Any:
    """Yield intervals that start at ``fastest`` and grow by half each time up to ``slowest``."""
    interval = fastest
    while True:
        yield interval
        interval = min(slowest, interval * BACKOFF)


@dataclass(frozen=True)
class WaitPolicy:
    """How many transient errors a wait rides out.

    A run of transient errors (network drops, 5xx) is tolerated while it
    stays within ``soft_errors`` failures and ``soft_error_seconds``; any
    success resets it, so a drop of minutes does not end a wait of hours.
    The failures are counted per request, whether the HTTP layer or the
    polling loop tries again (see :mod:`eojobs.retrying`).
    """

    soft_errors: int = 30
    soft_error_seconds: float = 900.0

    def budget(self, clock: Callable[[], float] = time.monotonic) -> RetryBudget:
        """The retry budget of a wait's run of failures."""
        return RetryBudget(self.soft_errors, self.soft_error_seconds, clock)


def intervals_for(poll_interval: float | None, backend: tuple[float, float]) -> tuple[float, float]:
    """The fastest and slowest pause: ``poll_interval`` always, else the backend's own range."""
    if poll_interval is None:
        return backend
    if not (poll_interval > 0 and math.isfinite(poll_interval)):
        raise InputError("poll_interval must be a positive number of seconds")
    return (poll_interval, poll_interval)


def wait_for_jobs(
    fetch: Callable[[list[str]], list[JobInfo]],
    job_ids: list[str],
    *,
    timeout: float | None,
    intervals: tuple[float, float],
    progress: bool,
    label: str,
    policy: WaitPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, JobInfo]:
    """Poll ``fetch`` (one call for all unfinished jobs) until every job has finished.

    Returns the last state of each job. Raises WaitTimeout when ``timeout``
    seconds pass first, and re-raises an error once it is not transient or
    the soft-error budget of ``policy`` is spent.
    """
    latest: dict[str, JobInfo] = {}
    with (_bar(label) if progress else nullcontext()) as shown:
        def attempt() -> Any:
            waiting = [j for j in job_ids if j not in latest or not latest[j].status.finished]
            for info in fetch(waiting):
                latest[info.id] = info
            if shown is not None and latest:
                _show(shown, [latest[j] for j in job_ids if j in latest], len(job_ids))
            if all(j in latest and latest[j].status.finished for j in job_ids):
                return latest
            return _NOT_YET

        return _poll(attempt, timeout=timeout, intervals=intervals, policy=policy,
                     sleep=sleep, clock=clock,
                     timed_out=lambda: _timeout(job_ids, latest, timeout))


def poll_until(
    fetch: Callable[[], Any],
    done: Callable[[Any], bool],
    *,
    timeout: float,
    intervals: tuple[float, float],
    what: str,
    policy: WaitPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Call ``fetch`` until ``done`` says its answer is ready; for backends that must wait.

    Transient errors are ridden out as in :func:`wait_for_jobs`. Raises
    WaitTimeout naming ``what`` when ``timeout`` seconds pass first.
    """
    def attempt() -> Any:
        value = fetch()
        return value if done(value) else _NOT_YET

    return _poll(attempt, timeout=timeout, intervals=intervals, policy=policy, sleep=sleep,
                 clock=clock,
                 timed_out=lambda: WaitTimeout(f"gave up waiting for {what} after {timeout:g} s"))


_NOT_YET = object()


def _poll(attempt: Callable[[], Any], *, timeout: float | None,
          intervals: tuple[float, float], policy: WaitPolicy | None,
          sleep: Callable[[float], None], clock: Callable[[], float],
          timed_out: Callable[[], Exception]) -> Any:
    """The one polling loop: ``attempt()`` until it has an answer, pausing longer each time."""
    if timeout is not None and not (timeout >= 0 and math.isfinite(timeout)):
        raise InputError("timeout must be a finite number of seconds, 0 or more")
    deadline = None if timeout is None else clock() + timeout
    budget = (policy or WaitPolicy()).budget(clock)
    budget.deadline = deadline  # the retries inside one poll end with the wait's timeout
    ticks = poll_intervals(intervals[0], max(intervals))
    while True:
        before = budget.failures
        try:
            with own_budget(budget):
                answer = attempt()
            budget.reset()
        except BackendError as exc:
            if deadline is not None and clock() >= deadline:
                raise timed_out() from exc
            if not exc.transient or not budget.charge(before):
                raise
            answer = _NOT_YET
        if answer is not _NOT_YET:
            return answer
        pause = next(ticks)
        if deadline is not None:
            left = deadline - clock()
            if left <= 0:
                raise timed_out()
            pause = min(pause, left)
        sleep(pause)


def _show(shown: Any, infos: list[JobInfo], total: int) -> None:
    shown.n = round(sum(i.progress for i in infos) / total, 1)
    if total == 1:
        shown.set_postfix_str(infos[0].status.value, refresh=False)
    else:
        done = sum(1 for i in infos if i.status.finished)
        shown.set_postfix_str(f"{done}/{total} finished", refresh=False)
    shown.refresh()


def _timeout(job_ids: list[str], latest: dict[str, JobInfo], timeout: float | None) -> WaitTimeout:
    unfinished = [j for j in job_ids if j not in latest or not latest[j].status.finished]
    if len(job_ids) == 1 and job_ids[0] in latest:
        info = latest[job_ids[0]]
        return WaitTimeout(
            f"job {info.id} is still {info.status.value} ({info.progress:.0f}%) after "
            f"{timeout:g} s; it keeps running",
            job=info,
        )
    return WaitTimeout(
        f"{len(unfinished)} of {len(job_ids)} jobs are still running after {timeout:g} s; "
        "they keep running", job_ids=unfinished,
    )


def _bar(label: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=100,
        desc=label,
        unit="%",
        file=sys.stderr,
        disable=None,
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}{postfix}",
    )
