"""Credentials: where they may be sent, and cached access tokens, one 0600 file per account.

Passwords are never stored; only a token and its expiry are, so that a user
who ran ``eojobs login`` once is not asked again until the token expires.
A cache that others could read is made private again with a warning; one
that is a symbolic link or belongs to another user is refused.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from eojobs.atomic import replace_text
from eojobs.config import ensure_home, home
from eojobs.errors import ConfigError, Fix, InputError, Message

log = logging.getLogger("eojobs.credentials")

TOKEN_DIR = "tokens"
#: Treat a token as expired this many seconds early, so it does not die mid-request.
EXPIRY_MARGIN = 60.0


@dataclass(frozen=True)
class Token:
    """An access token, who it belongs to, and when it expires (epoch seconds)."""

    access_token: str
    expires_at: float
    user_id: str = ""
    #: An OpenID Connect refresh token, where the login gave one: it outlives the access token.
    refresh_token: str = ""

    @property
    def valid(self) -> bool:
        """True while the token has more than a minute left."""
        return time.time() < self.expires_at - EXPIRY_MARGIN


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` is this machine: ``localhost``, 127.0.0.0/8 or ``::1``."""
    if not host:
        return False
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def require_private_channel(url: str, what: str) -> None:
    """Refuse, before anything is sent, to send ``what`` over plain http off this machine."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "https" or (parts.scheme.lower() == "http"
                                           and is_loopback(parts.hostname)):
        return
    where = parts.hostname or "the server"
    raise InputError(f"refusing to send {what} over plain {parts.scheme or 'text'} to {where}; "
                     "use https")


def token_path(backend: str, account: str) -> Path:
    """The file that holds the token of one account on one backend."""
    key = hashlib.sha256(f"{backend}\n{account}".encode()).hexdigest()[:24]
    return home() / TOKEN_DIR / f"{backend}-{key}.json"


def load_token(backend: str, account: str, *, expired: bool = False) -> Token | None:
    """The cached, still valid token of an account, or None.

    With ``expired``, a token past its expiry is returned too, for the
    refresh token it may hold.
    """
    path = token_path(backend, account)
    try:
        data = json.loads(_read_private(path))
        token = Token(str(data["access_token"]), float(data["expires_at"]),
                      str(data.get("user_id", "")), str(data.get("refresh_token", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return token if token.valid or expired else None


def save_token(backend: str, account: str, token: Token) -> Path:
    """Write the token to its 0600 file, atomically."""
    _check_folder(ensure_home(), private=False)
    path = token_path(backend, account)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _check_folder(path.parent, private=True)
    data = json.dumps({"access_token": token.access_token, "expires_at": token.expires_at,
                       "user_id": token.user_id,
                       **({"refresh_token": token.refresh_token} if token.refresh_token else {})})
    replace_text(path, data, mode=0o600)
    return path


def forget_token(backend: str, account: str) -> None:
    """Remove a cached token, if any."""
    token_path(backend, account).unlink(missing_ok=True)


def _read_private(path: Path) -> str:
    """The text of a token file, once it is known to be ours and private to us.

    Raises FileNotFoundError when there is none; ConfigError when it cannot be trusted.
    """
    if not path.parent.exists():
        raise FileNotFoundError(path)
    _check_folder(path.parent.parent, private=False)
    _check_folder(path.parent, private=True)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if path.is_symlink():
            raise _refused(path, "it is a symbolic link") from None
        raise exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _refused(path, "it is not a regular file")
        if not _ours(info):
            raise _refused(path, "it belongs to another user")
        loose = stat.S_IMODE(info.st_mode) & 0o077
        if loose:
            log.warning("the token cache %s could be read by others (mode %o); it is now 0600, "
                        "but log in again if others may have read it", path,
                        stat.S_IMODE(info.st_mode))
            os.fchmod(handle.fileno(), 0o600)
        return handle.read().decode("utf-8")


def _check_folder(path: Path, private: bool) -> None:
    """Refuse a token folder that is a link or another user's; tighten a loose mode.

    ``private`` folders (the token folder) must be 0700; the user directory
    only must not be writable by others, who could otherwise swap the token
    folder.
    """
    try:
        info = os.lstat(path) if private else os.stat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise _refused(path, "it is a symbolic link")
    if not stat.S_ISDIR(info.st_mode):
        raise _refused(path, "it is not a folder")
    if not _ours(info):
        raise _refused(path, "it belongs to another user")
    mode = stat.S_IMODE(info.st_mode)
    loose = mode & (0o077 if private else 0o022)
    if loose:
        log.warning("%s could be %s by others (mode %o); it is now %o", path,
                    "read" if private else "changed", mode, mode & ~loose)
        os.chmod(path, mode & ~loose)


def _ours(info: os.stat_result) -> bool:
    getuid = getattr(os, "getuid", None)
    return getuid is None or info.st_uid == getuid()


def _refused(path: Path, why: str) -> ConfigError:
    return ConfigError(Message(f"refusing the token cache {path}: {why}; remove it and log in "
                               "again with ", Fix("Backend.login")))
