"""Login tokens: JWTs signed with a per-workspace secret kept in a 0600 file."""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt

from eojobs_mock.server.errors import unauthorised

SECRET_FILE = "server.secret"
ISSUER = "eojobs-mock"
DEFAULT_TOKEN_LIFETIME_S = 86400.0


def workspace_secret(folder: Path) -> bytes:
    """The workspace's signing secret, created (mode 0600) on first use."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)
    else:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A key for one purpose (``"jwt"``, ``"url"``), derived from the workspace secret."""
    return hmac.new(secret, purpose.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class LoginTokens:
    """What a successful login returns."""

    id_token: str
    access_token: str
    refresh_token: str


class TokenIssuer:
    """Issues and checks tokens; an access token is the bearer token of every API call."""

    def __init__(self, key: bytes, lifetime_s: float, clock: Callable[[], float]) -> None:
        self.key = key
        self.lifetime_s = lifetime_s
        self.clock = clock

    def issue(self, user_id: str, email: str) -> LoginTokens:
        """Tokens for a user who just logged in."""
        moment = self.clock()
        now = int(moment)
        # JWT times are whole seconds: round the end up, so no token lives less than asked.
        expires = math.ceil(moment + max(1.0, self.lifetime_s))

        def token(use: str, **claims: str) -> str:
            payload = {"iss": ISSUER, "sub": user_id, "iat": now, "exp": expires,
                       "token_use": use, "jti": secrets.token_hex(8), **claims}
            return jwt.encode(payload, self.key, algorithm="HS256")

        return LoginTokens(token("id", email=email), token("access"), token("refresh"))

    def user_id(self, authorization: str | None) -> str:
        """The user an ``Authorization: Bearer`` header belongs to; 401 if it is not valid."""
        if not authorization:
            raise unauthorised("Missing bearer token: log in and send "
                               "'Authorization: Bearer <access_token>'.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorised("The Authorization header must be 'Bearer <access_token>'.")
        try:
            claims = jwt.decode(token.strip(), self.key, algorithms=["HS256"], issuer=ISSUER,
                                options={"require": ["exp", "iat", "sub"]})
        except jwt.ExpiredSignatureError:
            raise unauthorised("The access token has expired: log in again.") from None
        except jwt.InvalidTokenError:
            raise unauthorised("The access token is not valid: log in again.") from None
        if claims.get("token_use") != "access":
            raise unauthorised("Only an access token can be used as the bearer token.")
        return str(claims["sub"])
