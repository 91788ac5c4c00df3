"""Logging in to the Fusion Platform: cached tokens first, the password only when needed."""

from __future__ import annotations

import time
from typing import Any

import jwt

from eojobs.credentials import Token, forget_token, load_token, save_token
from eojobs.errors import AuthenticationError, BackendError
from eojobs.redact import remember_secret
from eojobs_fusion.client import FusionClient

#: The platform's sessions last a day; used when a token carries no expiry.
SESSION_SECONDS = 24 * 3600.0


class Authenticator:
    """Gives the client a valid token: from the 0600 cache, else by logging in."""

    def __init__(self, client: FusionClient, email: str | None, user_id: str | None,
                 password: str | None) -> None:
        self.client = client
        self.email = email
        self.user_id = user_id
        self._password = password
        remember_secret(password)
        self.default_account = f"{client.api_url}|"
        self.account = f"{client.api_url}|{email or user_id or ''}"

    def ensure(self) -> str:
        """The user id, with a valid token set on the client."""
        if self.client.token and self.user_id:
            return self.user_id
        cached = load_token("fusion", self.account)
        if cached is not None and cached.user_id:
            remember_secret(cached.access_token)
            self.client.token = cached.access_token
            self.user_id = cached.user_id
            return cached.user_id
        return self.login()

    def login(self) -> str:
        """Log in with the password, cache the token, and return the user id."""
        if not self._password:
            raise AuthenticationError(
                "no credentials for fusion: run `eojobs login fusion` or set "
                "EOJOBS_FUSION_EMAIL and EOJOBS_FUSION_PASSWORD"
            )
        if not (self.email or self.user_id):
            raise AuthenticationError(
                "fusion needs an e-mail address or user id: set EOJOBS_FUSION_EMAIL"
            )
        body = self.client.login(self.email, self.user_id, self._password)
        try:
            id_claims = _claims(body["id_token"])
            access = str(body["access_token"])
        except (KeyError, TypeError, jwt.PyJWTError):
            raise BackendError("login failed: the answer has no usable tokens") from None
        user_id = str(id_claims.get("sub") or "")
        if not user_id:
            raise BackendError("login failed: the id token names no user")
        expires = _expiry(access) or float(id_claims.get("exp") or 0) or (
            time.time() + SESSION_SECONDS)
        remember_secret(access)
        remember_secret(str(body.get("refresh_token") or ""))
        remember_secret(str(body["id_token"]))
        self.client.token = access
        self.user_id = user_id
        token = Token(access, expires, user_id)
        save_token("fusion", self.account, token)
        # Also the default account of this API, for commands run with no e-mail set.
        save_token("fusion", self.default_account, token)
        return user_id

    def renew(self) -> str | None:
        """Called on a 401: log in again if the password is known, else drop the token."""
        forget_token("fusion", self.account)
        forget_token("fusion", self.default_account)
        self.client.token = None
        if not self._password:
            return None
        self.login()
        return self.client.token


def _claims(token: Any) -> dict[str, Any]:
    return jwt.decode(str(token), options={"verify_signature": False})


def _expiry(token: str) -> float | None:
    try:
        exp = _claims(token).get("exp")
    except jwt.PyJWTError:
        return None
    return float(exp) if exp else None
