"""A bearer token that the threads of one client share, fetched once and replaced once.

While one thread gets a new token, the others wait for it rather than log
in too; a request refused with a token another thread has since replaced is
repeated with the replacement, not with another login.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from eojobs.errors import AuthenticationError

T = TypeVar("T")
#: Sends of one request that refusals of its token may take. A request renews the
#: token once at most, so against a server that refuses every token it stops after
#: two sends; the other tries are for tokens that other threads got meanwhile, each
#: of which an expiry on the server may overtake while many threads share a client.
TOKEN_TRIES = 6


class SharedToken:
    """The token of one client: from ``source`` when there is none, from ``renew`` when refused.

    ``missing`` is the message of the AuthenticationError raised when no
    token can be had.
    """

    def __init__(self, missing: str, source: Callable[[], str | None] | None = None,
                 renew: Callable[[], str | None] | None = None) -> None:
        self.missing = missing
        self.source = source
        self.renew = renew
        self.value: str | None = None
        self._lock = threading.RLock()

    def current(self) -> str:
        """The token, once any renewal under way has finished; fetched if there is none."""
        with self._lock:
            if not self.value and self.source is not None:
                self.value = self.source() or None
            if not self.value:
                raise AuthenticationError(self.missing)
            return self.value

    def newer(self, refused: str | None) -> str | None:
        """The token another thread got since ``refused`` was sent, if any."""
        with self._lock:
            return self.value if self.value and self.value != refused else None

    def replace(self, refused: str | None) -> str | None:
        """A token in place of ``refused``: another thread's newer one, or a renewed one."""
        with self._lock:
            if self.value and self.value != refused:
                return self.value
            fresh = self.renew() if self.renew is not None else None
            if fresh:
                self.value = fresh
            return fresh


    def authorised(self, attempt: Callable[[str], T], refused: Callable[[T], bool]) -> T:
        """``attempt(token)``, sent again while its answer is ``refused``, with a better token.

        The better token is one another thread got since, or else a renewed one;
        the token is renewed once at most. The last answer is returned, refused
        or not: what a refusal means is the caller's to say.
        """
        token = self.current()
        renewed = False
        for _ in range(TOKEN_TRIES - 1):
            answer = attempt(token)
            if not refused(answer):
                return answer
            fresh = self.newer(token)
            if fresh is None and not renewed:
                renewed = True
                fresh = self.replace(token)
            if fresh is None:
                return answer
            token = fresh
        return attempt(token)


class HoldsToken:
    """For a client with a :class:`SharedToken` in ``_token``: its value as ``token``."""

    _token: SharedToken

    @property
    def token(self) -> str | None:
        """The bearer token, if there is one yet."""
        return self._token.value

    @token.setter
    def token(self, value: str | None) -> None:
        self._token.value = value
