"""Signed-style URLs for uploads and downloads: an HMAC over method, path and expiry."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable
from urllib.parse import quote, urlencode

from eojobs_mock.server.errors import forbidden

DEFAULT_URL_LIFETIME_S = 3600.0


class UrlSigner:
    """Makes and checks URLs that need no bearer token and stop working after a while."""

    def __init__(self, key: bytes, lifetime_s: float, clock: Callable[[], float]) -> None:
        self.key = key
        self.lifetime_s = lifetime_s
        self.clock = clock

    def expiry(self) -> int:
        """The expiry time (epoch seconds) of a URL signed now."""
        return math.ceil(self.clock() + self.lifetime_s)

    def signature(self, method: str, path: str, expires: int) -> str:
        """The signature of one method on one path until ``expires``."""
        message = f"{method.upper()}\n{path}\n{expires}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def url(self, base: str, method: str, path: str, expires: int | None = None) -> str:
        """An absolute signed URL: ``base`` + ``path`` + ``?expires=...&signature=...``."""
        expires = self.expiry() if expires is None else expires
        query = urlencode({"expires": expires,
                           "signature": self.signature(method, path, expires)})
        return f"{base.rstrip('/')}{quote(path)}?{query}"

    def check(self, method: str, path: str, expires: str | None, signature: str | None) -> int:
        """The expiry of a valid signed request; 403 if it was tampered with or has expired."""
        if not expires or not signature or not expires.isdigit():
            raise forbidden("This URL is not signed: ask the API for a new one.")
        expected = self.signature(method, path, int(expires))
        if not hmac.compare_digest(expected, signature):
            raise forbidden("The URL signature does not match: ask the API for a new URL.")
        if int(expires) < self.clock():
            raise forbidden("The URL has expired: ask the API for a new one.")
        return int(expires)
