"""The one polling loop: wait until jobs finish, with adaptive intervals and a timeout."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from eojobs.errors import WaitTimeout
from eojobs.models import JobInfo

BACKOFF = 1.5


def poll_intervals(fastest: float, slowest: float) -> Any:
    """Yield intervals that start at ``fastest`` and grow by half each time up to ``slowest``."""
    interval = fastest
    while True:
        yield interval
        interval = min(slowest, interval * BACKOFF)


def wait_until_finished(
    fetch: Callable[[], JobInfo],
    *,
    timeout: float | None,
    intervals: tuple[float, float],
    progress: bool,
    label: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> JobInfo:
    """Poll ``fetch`` until the job it reports has finished; return its last state.

    Raises WaitTimeout when ``timeout`` seconds pass first. A progress bar on
    stderr follows the job's progress when ``progress`` is true and stderr is
    a terminal.
    """
    deadline = None if timeout is None else clock() + timeout
    bar = _bar(label) if progress else nullcontext()
    with bar as shown:
        ticks = poll_intervals(*intervals)
        while True:
            info = fetch()
            if shown is not None:
                shown.n = round(info.progress, 1)
                shown.set_postfix_str(info.status.value, refresh=False)
                shown.refresh()
            if info.status.finished:
                return info
            pause = next(ticks)
            if deadline is not None:
                left = deadline - clock()
                if left <= 0:
                    raise WaitTimeout(
                        f"job {info.id} is still {info.status.value} "
                        f"({info.progress:.0f}%) after {timeout:g} s; it keeps running. "
                        f"Wait again with: eojobs wait {info.id}",
                        job=info,
                    )
                pause = min(pause, left)
            sleep(pause)


def poll_until(
    fetch: Callable[[], Any],
    done: Callable[[Any], bool],
    *,
    timeout: float,
    intervals: tuple[float, float],
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """Call ``fetch`` until ``done`` says its answer is ready; for backends that must wait.

    Raises WaitTimeout naming ``what`` when ``timeout`` seconds pass first.
    """
    deadline = clock() + timeout
    ticks = poll_intervals(*intervals)
    while True:
        value = fetch()
        if done(value):
            return value
        left = deadline - clock()
        if left <= 0:
            raise WaitTimeout(f"gave up waiting for {what} after {timeout:g} s")
        sleep(min(next(ticks), left))


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
