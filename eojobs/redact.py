"""Redaction of secrets in URLs and free text, before anything is shown, logged or raised.

``redact_url`` masks the password of a URL's userinfo and the values of
query parameters that carry credentials (signed URLs' signatures, tokens,
keys). ``redact_text`` does the same to every URL and query string inside a
message, masks bearer tokens, and replaces any secret the process was told
about with ``remember_secret`` (passwords, access tokens) wherever it occurs.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import unquote, urlsplit, urlunsplit

#: What a masked value is replaced with.
MASK = "REDACTED"
#: Query parameter names whose value is a credential (compared in lower case).
SENSITIVE_PARAMS = frozenset({
    "signature", "sig", "token", "access_token", "id_token", "refresh_token", "auth",
    "authorization", "key", "api_key", "apikey", "api-key", "password", "passwd", "pwd",
    "secret", "client_secret", "credential", "policy", "key-pair-id", "code", "session",
    "sessiontoken", "security-token",
})
#: Parameter name prefixes of signed cloud-storage URLs (AWS, Google, Azure-style).
SENSITIVE_PREFIXES = ("x-amz-", "x-goog-", "x-ms-")
#: Words that make any parameter name sensitive.
SENSITIVE_WORDS = ("token", "secret", "password", "signature", "credential", "apikey")
#: Secrets shorter than this are not looked for in text, to keep messages readable.
MIN_SECRET = 6

#: Punctuation that ends a sentence rather than a URL or a value: "(see https://h/x?a=b)."
_TRAILING = r"[),.;:!?\]]*"
_URL = re.compile(rf"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+?(?={_TRAILING}(?:[\s'\"<>`]|$))")
_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&;#\s'\"?]+)="
                    rf"(?P<value>[^&;#\s'\"]*?)(?={_TRAILING}(?:[\s'\"&;#]|$))")
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+")
_PASSWORD_FIELD = re.compile(r"(?i)([\"']?(?:password|access_token|id_token|refresh_token)"
                             r"[\"']?\s*[:=]\s*[\"'])([^\"']*)([\"'])")
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def is_sensitive(name: str) -> bool:
    """Whether a query parameter of this name carries a credential."""
    lowered = unquote(name).strip().lower()
    return (lowered in SENSITIVE_PARAMS or lowered.startswith(SENSITIVE_PREFIXES)
            or any(word in lowered.replace("-", "").replace("_", "") for word in SENSITIVE_WORDS))


def redact_query(query: str) -> str:
    """A query string (without ``?``) with the values of sensitive parameters masked."""
    parts = []
    for part in re.split(r"([&;])", query):
        name, sep, value = part.partition("=")
        parts.append(f"{name}={MASK}" if sep and value and is_sensitive(name) else part)
    return "".join(parts)


def redact_url(url: str) -> str:
    """``url`` without its userinfo password or the values of sensitive query parameters.

    ``https://me:secret@host/p?X-Amz-Signature=abc&part=1`` becomes
    ``https://me:REDACTED@host/p?X-Amz-Signature=REDACTED&part=1``. A string
    that does not parse as a URL is redacted as free text.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return _redact_fragments(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            netloc = f"{user}:{MASK}@{hostport}"
        elif _looks_secret(user):
            netloc = f"{MASK}@{hostport}"
    fragment = redact_query(parts.fragment) if "=" in parts.fragment else parts.fragment
    return _known_secrets(urlunsplit((parts.scheme, netloc, parts.path,
                                      redact_query(parts.query), fragment)))


def redact_text(text: str) -> str:
    """``text`` with every URL, query string, bearer token and known secret in it masked."""
    if not text:
        return text
    text = _URL.sub(lambda m: redact_url(m.group(0)), text)
    return _redact_fragments(text)


def remember_secret(*values: str | None) -> None:
    """Have ``redact_text`` mask these values (passwords, tokens) wherever they appear."""
    with _secrets_lock:
        _secrets.update(v for v in values if v and len(v) >= MIN_SECRET)


def _redact_fragments(text: str) -> str:
    """Query strings without a scheme (``GET /p?sig=x``), bearer tokens and JSON fields."""
    text = _PARAM.sub(lambda m: f"{m['lead']}{m['name']}={MASK}"
                      if m["value"] and is_sensitive(m["name"]) else m.group(0), text)
    text = _BEARER.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)
    text = _PASSWORD_FIELD.sub(lambda m: f"{m[1]}{MASK}{m[3]}", text)
    return _known_secrets(text)


def _known_secrets(text: str) -> str:
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _looks_secret(user: str) -> bool:
    """A userinfo with no password that is likely a token itself (long, no spaces)."""
    return len(user) >= 20
