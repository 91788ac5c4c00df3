"""Fault plans: which requests the server fails on purpose, how, and reproducibly.

A plan is written as a SPEC, a comma-separated list of ``KEY=VALUE`` items::

    api=0.1,blob=0.1,seed=42
    api:5xx=0.05,api:expire=0.02,blob:truncate=0.1,delay=0.2,seed=7

``SCOPE:KIND=RATE`` gives one kind of fault a rate (a fraction from 0 to 1)
in one scope; ``KIND=RATE`` gives it that rate in both scopes;
``SCOPE=RATE`` spreads ``RATE`` evenly over every kind of the scope. Later
items override earlier ones. Scopes: ``api`` (the REST API) and ``blob``
(the signed upload and download URLs). Kinds: see :data:`KINDS`; ``lost``
and ``expire`` are API kinds only.

A request is faulted with the sum of its scope's rates; the kind is then
drawn, in proportion to the rates, among the kinds that apply to the
request (see :func:`applicable`). The draws are a hash of the seed, the
scope and the request's number in its scope, so the same seed fails the
same requests of a client that sends them one at a time.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("5xx", "429", "reset", "truncate", "slow", "expire", "lost")
"""The kinds of fault, in the order rates are listed and drawn.

``5xx`` and ``429`` answer an error without handling the request, ``reset``
drops the connection without handling it, ``truncate`` handles a GET but cuts
its body short, ``slow`` waits before handling, ``expire`` expires the bearer
token, and ``lost`` handles a POST or PATCH, then drops the connection, so
the client cannot tell that it was carried out.
"""
#: Methods that change something and may not be repeated blindly.
UNSAFE = ("POST", "PATCH")

SCOPES = ("api", "blob")
"""Where faults apply: the REST API, and the signed URLs that carry file bytes."""

SETTINGS = ("seed", "delay", "retry-after", "throttle", "posts")
"""The keys of a SPEC that set how faults behave rather than a rate."""

MAX_DELAY_S = 60.0
MAX_RETRY_AFTER_S = 3600
SERVER_ERRORS = (502, 503, 504)
#: A token is only expired by a fault once it has been used this many times,
#: like a real token that lasts hours: one a client just got by logging in again
#: works for its next requests, whichever of its threads sends them.
SEASONED_TOKEN_USES = 10
_SETTING_SHAPES = {
    "seed": "a whole number of 0 or more",
    "delay": f"a number of seconds from 0 to {MAX_DELAY_S:g}",
    "retry-after": f"a whole number of seconds from 0 to {MAX_RETRY_AFTER_S}",
    "throttle": "a number of bytes per second such as 500K or 8M",
    "posts": "safe or all",
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)i?b?\s*$", re.IGNORECASE)
_MULTIPLIERS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


class FaultSpecError(ValueError):
    """A SPEC that cannot be read; the message names the item and what is wrong."""


@dataclass(frozen=True)
class Fault:
    """One fault for one request: its kind, the 5xx status, and where a body is cut."""

    kind: str
    status: int = 503
    cut: float = 0.5


@dataclass(frozen=True)
class FaultPlan:
    """The faults to inject: a rate per scope and kind, a seed, and how kinds behave."""

    rates: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    seed: int = 0
    delay_s: float = 1.0
    retry_after_s: int = 1
    throttle: int | None = None
    posts: str = "safe"

    def rate(self, scope: str, kind: str) -> float:
        """The rate of one kind of fault in one scope."""
        return float(self.rates.get(scope, {}).get(kind, 0.0))

    def total(self, scope: str) -> float:
        """The fraction of the scope's requests that get a fault."""
        return sum(self.rate(scope, kind) for kind in KINDS)

    def choose(self, scope: str, number: int, kinds: Collection[str]) -> Fault | None:
        """The fault for request ``number`` of ``scope``, drawn among ``kinds``; or None."""
        if self._draw(scope, number, "hit") >= self.total(scope):
            return None
        weights = [(k, self.rate(scope, k)) for k in KINDS if k in kinds]
        weights = [(k, r) for k, r in weights if r > 0]
        if not weights:
            return None
        point = self._draw(scope, number, "kind") * sum(r for _, r in weights)
        chosen = weights[-1][0]
        for kind, weight in weights:
            if point < weight:
                chosen = kind
                break
            point -= weight
        status = SERVER_ERRORS[int(self._draw(scope, number, "status") * len(SERVER_ERRORS))]
        return Fault(chosen, status, self._draw(scope, number, "cut"))

    def _draw(self, scope: str, number: int, purpose: str) -> float:
        key = f"{self.seed}/{scope}/{number}/{purpose}".encode()
        value = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
        return value / 2**64

    def describe(self) -> str:
        """One line for people: what is injected where, and the seed to repeat it."""
        parts = []
        for scope, label in (("api", "API requests"), ("blob", "file transfers")):
            kinds = [k for k in KINDS if self.rate(scope, k) > 0]
            if kinds:
                share = f"{self.total(scope) * 100:.3g}%"
                parts.append(f"{share} of {label} ({', '.join(kinds)})")
        text = " and ".join(parts) or "no faults"
        if self.posts == "all":
            text += "; POST and PATCH get every kind"
        elif self.rate("api", "lost") > 0:
            text += "; lost needs posts=all"
        if self.throttle:
            text += f"; downloads throttled to {self.throttle} bytes/s"
        return f"{text}; seed {self.seed}"


def applicable(plan: FaultPlan, scope: str, method: str, token_uses: int | None) -> set[str]:
    """The kinds of fault a request may get.

    A POST or PATCH cannot be repeated safely after an answer that leaves
    open whether it was carried out, so unless the plan says ``posts=all``
    it only gets the faults that tell the client it was not; with
    ``posts=all`` it may also be carried out with its answer lost, and only
    a POST or PATCH is. Only a GET has its body cut short. Only an API
    request whose bearer token has been used :data:`SEASONED_TOKEN_USES`
    times (``token_uses``) gets its token expired.
    """
    kinds = {"429", "slow"}
    unsafe = method.upper() in UNSAFE
    if not unsafe or plan.posts == "all":
        kinds |= {"5xx", "reset"}
    if unsafe and plan.posts == "all":
        kinds.add("lost")
    if method.upper() == "GET":
        kinds.add("truncate")
    if scope == "api" and token_uses is not None and token_uses >= SEASONED_TOKEN_USES:
        kinds.add("expire")
    return kinds


def parse_faults(spec: str) -> FaultPlan:
    """The plan a SPEC describes; raises FaultSpecError naming the first bad item."""
    rates: dict[str, dict[str, float]] = {scope: {} for scope in SCOPES}
    settings: dict[str, Any] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not key:
            raise FaultSpecError(f"{item!r} is not KEY=VALUE, such as api=0.1 or seed=42")
        key = key.lower()
        if key in SETTINGS:
            settings[key] = _setting(key, value, item)
            continue
        scope, colon, kind = key.rpartition(":")
        if not colon and kind in SCOPES:
            scope, kind = kind, "*"
        if scope and scope not in SCOPES:
            raise FaultSpecError(f"{item!r}: unknown scope {scope!r} (scopes: api, blob)")
        if kind != "*" and kind not in KINDS:
            raise FaultSpecError(f"{item!r}: unknown fault kind or setting {kind!r} "
                                 f"(kinds: {', '.join(KINDS)}; settings: "
                                 f"{', '.join(SETTINGS)})")
        if scope == "blob" and kind == "expire":
            raise FaultSpecError(f"{item!r}: expire applies to API requests only "
                                 "(file URLs carry no token)")
        if scope == "blob" and kind == "lost":
            raise FaultSpecError(f"{item!r}: lost applies to API requests only "
                                 "(file URLs take no POST or PATCH)")
        rate = _rate(value, item)
        for target in [scope] if scope else list(SCOPES):
            kinds = [k for k in KINDS if _fits(target, k)] if kind == "*" else [kind]
            for each in kinds:
                if _fits(target, each):
                    rates[target][each] = rate / len(kinds)
    for scope in SCOPES:
        total = sum(rates[scope].values())
        if total > 1 + 1e-9:
            raise FaultSpecError(f"the {scope} rates add up to {total:g}; "
                                 "they must add up to at most 1")
    seed = settings.get("seed")
    return FaultPlan(
        rates={scope: r for scope, r in rates.items() if r},
        seed=secrets.randbelow(1 << 31) if seed is None else seed,
        delay_s=settings.get("delay", 1.0),
        retry_after_s=settings.get("retry-after", 1),
        throttle=settings.get("throttle"),
        posts=settings.get("posts", "safe"),
    )


def _fits(scope: str, kind: str) -> bool:
    return not (scope == "blob" and kind in ("expire", "lost"))


def _rate(value: str, item: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = -1.0
    if not 0 <= rate <= 1:
        raise FaultSpecError(f"{item!r}: a rate is a number from 0 to 1, such as 0.1")
    return rate


def _setting(key: str, value: str, item: str) -> Any:
    try:
        if key == "seed":
            seed = int(value)
            if seed < 0:
                raise ValueError
            return seed
        if key == "delay":
            delay = float(value)
            if not 0 <= delay <= MAX_DELAY_S:
                raise ValueError
            return delay
        if key == "retry-after":
            seconds = int(value)
            if not 0 <= seconds <= MAX_RETRY_AFTER_S:
                raise ValueError
            return seconds
        if key == "throttle":
            return _size(value)
        if value.lower() not in ("safe", "all"):
            raise ValueError
        return value.lower()
    except ValueError:
        raise FaultSpecError(f"{item!r}: {key} must be {_SETTING_SHAPES[key]}") from None


def _size(value: str) -> int:
    match = _SIZE.match(value)
    if not match:
        raise ValueError(value)
    size = int(float(match.group(1)) * _MULTIPLIERS[match.group(2).lower()])
    if size < 1:
        raise ValueError(value)
    return size
