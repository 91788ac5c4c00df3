"""The one backoff rule: exponential, capped, with jitter."""

from __future__ import annotations

import random


def backoff_delay(attempt: int, backoff: float, backoff_max: float) -> float:
    """Seconds to wait before try number ``attempt`` + 1 (``attempt`` from 1).

    ``backoff`` doubles each time up to ``backoff_max``; the jitter takes a
    random half of it off, so that many clients do not retry in step.
    """
    return min(backoff_max, backoff * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
