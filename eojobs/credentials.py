"""Cached access tokens: one 0600 file per backend account in the user directory.

Passwords are never stored; only a token and its expiry are, so that a user
who ran ``eojobs login`` once is not asked again until the token expires.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from eojobs.config import ensure_home, home

TOKEN_DIR = "tokens"
#: Treat a token as expired this many seconds early, so it does not die mid-request.
EXPIRY_MARGIN = 60.0


@dataclass(frozen=True)
class Token:
    """An access token, who it belongs to, and when it expires (epoch seconds)."""

    access_token: str
    expires_at: float
    user_id: str = ""

    @property
    def valid(self) -> bool:
        """True while the token has more than a minute left."""
        return time.time() < self.expires_at - EXPIRY_MARGIN


def token_path(backend: str, account: str) -> Path:
    """The file that holds the token of one account on one backend."""
    key = hashlib.sha256(f"{backend}\n{account}".encode()).hexdigest()[:24]
    return home() / TOKEN_DIR / f"{backend}-{key}.json"


def load_token(backend: str, account: str) -> Token | None:
    """The cached, still valid token of an account, or None."""
    path = token_path(backend, account)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        token = Token(str(data["access_token"]), float(data["expires_at"]),
                      str(data.get("user_id", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return token if token.valid else None


def save_token(backend: str, account: str, token: Token) -> Path:
    """Write the token to its 0600 file, atomically."""
    ensure_home()
    path = token_path(backend, account)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = json.dumps({"access_token": token.access_token, "expires_at": token.expires_at,
                       "user_id": token.user_id})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".token-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def forget_token(backend: str, account: str) -> None:
    """Remove a cached token, if any."""
    token_path(backend, account).unlink(missing_ok=True)
