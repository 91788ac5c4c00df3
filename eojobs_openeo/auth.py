"""Basic authentication: a cached bearer token first, the password only when needed."""

from __future__ import annotations

import time

from eojobs.credentials import Token, forget_token, load_token, save_token
from eojobs.errors import AuthenticationError
from eojobs.redact import remember_secret
from eojobs_openeo.client import OpenEOClient

#: Basic-auth tokens state no lifetime; one is reused from the cache for at most this long,
#: and a token refused earlier is replaced at once.
TOKEN_SECONDS = 3600.0


class BasicAuth:
    """Gives the client a bearer token: from the 0600 cache, else from ``/credentials/basic``."""

    def __init__(self, client: OpenEOClient, username: str, password: str | None) -> None:
        self.client = client
        self.username = username
        self._password = password
        remember_secret(password)
        self.account = f"{client.url}|{username or ''}"

    def token(self) -> str | None:
        """A token for the client: the cached one if still valid, else a new one."""
        cached = load_token("openeo", self.account)
        if cached is not None:
            remember_secret(cached.access_token)
            return cached.access_token
        return self.login()

    def login(self) -> str:
        """Ask for a new token with the password, and cache it."""
        if not self._password:
            raise AuthenticationError(
                "no credentials for openeo: run `eojobs login openeo` or set "
                "EOJOBS_OPENEO_USERNAME and EOJOBS_OPENEO_PASSWORD")
        token = self.client.basic_token(self.username, self._password)
        remember_secret(token)
        save_token("openeo", self.account, Token(token, time.time() + TOKEN_SECONDS,
                                                 self.username))
        self.client.token = token
        return token

    def renew(self) -> str | None:
        """Called when a token is refused: forget it, and get another if the password is known."""
        forget_token("openeo", self.account)
        self.client.token = None
        if not self._password:
            return None
        return self.login()
