"""The shared HTTP session for HTTP backends: timeouts, retries and error mapping, in one place."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from eojobs.backoff import backoff_delay
from eojobs.errors import (
    AuthenticationError,
    BackendError,
    EOJobsError,
    InputError,
    InsufficientCredits,
    NotFound,
)
from eojobs.http_log import LoggedRetry, install, log_retry
from eojobs.redact import redact_url

#: Methods that are safe to repeat after a failure.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = (429, 502, 503, 504)
#: Answers that say the request was refused, not carried out: any method may be repeated.
REFUSED_STATUSES = frozenset({429})
#: Methods that change nothing, so an answer that broke off can simply be asked for again.
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
#: The most asked for at once from a body that urllib3 decodes (gzip and the like).
SLOW_READ = 64 << 10


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and retries of one backend's HTTP traffic."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 5
    backoff: float = 0.5
    backoff_max: float = 30.0
    pool_size: int = 16

    @property
    def timeout(self) -> tuple[float, float]:
        """The ``(connect, read)`` timeout pair requests takes."""
        return (self.connect_timeout, self.read_timeout)


class CappedRetry(LoggedRetry):
    """urllib3's Retry, but a server's ``Retry-After`` is obeyed only up to a limit.

    It also repeats a request of any method that the server refused (429),
    since a refused request was not carried out.
    """

    def __init__(self, *args: Any, retry_after_max: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after_max = retry_after_max

    def new(self, **kw: Any) -> CappedRetry:
        """A copy with updated counters, keeping the cap."""
        copy = super().new(**kw)
        copy.retry_after_max = self.retry_after_max
        return copy  # type: ignore[return-value]

    def get_retry_after(self, response: Any) -> float | None:
        """The server's ``Retry-After``, capped."""
        wanted = super().get_retry_after(response)
        return None if wanted is None else min(wanted, self.retry_after_max)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """Whether to repeat a request after this answer."""
        if status_code in REFUSED_STATUSES and self.total:
            return True
        return super().is_retry(method, status_code, has_retry_after)


def make_session(policy: HttpPolicy, user_agent: str = "eojobs") -> requests.Session:
    """A session whose idempotent requests retry with backoff and jitter.

    Non-idempotent methods (POST, PATCH) are retried only on connection
    failures that happened before the request was sent, and on 429, which
    says the request was refused rather than carried out.
    """
    retry = CappedRetry(
        retry_after_max=policy.backoff_max,
        total=policy.retries,
        connect=min(policy.retries, 3),
        read=policy.retries,
        status=policy.retries,
        other=0,
        allowed_methods=IDEMPOTENT,
        status_forcelist=RETRY_STATUSES,
        backoff_factor=policy.backoff,
        backoff_max=policy.backoff_max,
        backoff_jitter=policy.backoff / 2,
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_connections=policy.pool_size,
                          pool_maxsize=policy.pool_size)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    install(session)
    return session


def send(session: requests.Session, policy: HttpPolicy, method: str, url: str,
         **kwargs: Any) -> requests.Response:
    """``session.request``, also repeating a safe request whose answer broke off midway.

    The session's own retries end once an answer's headers have arrived; a
    body cut short (a reset, a truncated answer) only shows while requests
    reads it, as ChunkedEncodingError. Streamed answers are the caller's to
    resume.
    """
    attempt = 0
    while True:
        try:
            return session.request(method, url, **kwargs)
        except requests.exceptions.ChunkedEncodingError:
            attempt += 1
            if method.upper() not in SAFE or kwargs.get("stream") or attempt > policy.retries:
                raise
            log_retry(method, url, "the answer broke off")
            if attempt > 1:
                time.sleep(backoff_delay(attempt, policy.backoff, policy.backoff_max))


MessageOf = Callable[[requests.Response], str]


#: What a backend knows of its platform's answers that the status alone does not say:
#: the error class a status and message stand for, or None to go by the status.
Refine = Callable[[int, str], type[EOJobsError] | None]


def error_for(response: requests.Response, message_of: MessageOf, what: str,
              refine: Refine | None = None) -> EOJobsError:
    """The eojobs error for a failed response, carrying the server's own message."""
    message = message_of(response) or f"HTTP {response.status_code}"
    text = f"{what}: {message}"
    status = response.status_code
    kind = refine(status, message) if refine is not None else None
    if kind is not None:
        return kind(text)
    if status in (401, 403):
        return AuthenticationError(text)
    if status == 402:
        return InsufficientCredits(text)
    if status == 404:
        return NotFound(text)
    if status in (400, 409, 422):
        return InputError(text)
    return BackendError(text, transient=status in RETRY_STATUSES or status >= 500)


def transport_error(exc: requests.RequestException, what: str) -> BackendError:
    """A BackendError for a connection failure or timeout, without the URL's query string."""
    url = getattr(getattr(exc, "request", None), "url", None) or ""
    where = redact_url(url.split("?", 1)[0]) or "the server"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        text = f"the answer from {where} broke off"
    elif isinstance(exc, requests.Timeout):
        text = f"timed out to {where}"
    else:
        text = f"could not connect to {where}"
    return BackendError(f"{what}: {text} ({type(exc).__name__})", transient=True)


def json_or_error(response: requests.Response, message_of: MessageOf, what: str,
                  refine: Refine | None = None) -> Any:
    """The JSON body of a successful response; an eojobs error otherwise."""
    if response.status_code >= 400:
        raise error_for(response, message_of, what, refine)
    try:
        return response.json()
    except ValueError:
        raise BackendError(f"{what}: the server answered with something that is not JSON") \
            from None


class ResponseStream:
    """The body of a streamed response as a file-like object for the download engine.

    Read errors (a reset, a timeout, a body cut short) become transient
    BackendErrors, so the engine retries from where it stopped; ``etag`` lets
    it notice a file that changed between tries. A body without a
    Content-Encoding is read straight from the socket with ``read1`` (what has
    arrived, so a slow download can be cancelled between packets) or
    ``readinto``, past urllib3's buffering and copies; a body that ends
    before its Content-Length is an error either way.
    """

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.etag = response.headers.get("ETag")
        response.raw.decode_content = True
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        body = getattr(response.raw, "_fp", None)
        self._body = body if isinstance(body, http.client.HTTPResponse) \
            and encoding in ("", "identity") else None
        self._left = _content_length(response) if self._body is not None else None

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        try:
            if self._body is None:
                return bytes(self.response.raw.read(size))
            data = self._body.read(size if size >= 0 else None)
        except _READ_ERRORS as exc:
            raise _broke_off(exc) from None
        self._count(len(data), size != 0)
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:
        """Fill ``buffer`` with the next bytes; how many, 0 at the end."""
        if self._body is None:
            data = self.read(len(buffer))
            buffer[:len(data)] = data
            return len(data)
        try:
            n = self._body.readinto(buffer)
        except _READ_ERRORS as exc:
            raise _broke_off(exc) from None
        self._count(n, len(buffer) > 0)
        return n

    def read1(self, size: int = -1) -> bytes:
        """The bytes that have arrived, up to ``size``; ``b""`` at the end.

        Waits only until some bytes are there, never to gather all ``size``,
        so a reader of a slow download gets back control with every packet
        and can notice that it was cancelled.
        """
        try:
            if self._body is None:
                # urllib3 decodes what it reads and gathers what it is asked for: ask little.
                raw = self.response.raw
                read = getattr(raw, "read1", raw.read)
                return bytes(read(min(size, SLOW_READ) if size >= 0 else SLOW_READ))
            data = self._body.read1(size)
        except _READ_ERRORS as exc:
            raise _broke_off(exc) from None
        self._count(len(data), size != 0)
        return data

    def _count(self, n: int, wanted: bool) -> None:
        if self._left is None:
            return
        if n == 0 and wanted and self._left > 0:
            raise BackendError(f"the download broke off {self._left} bytes before its end",
                               transient=True)
        self._left -= n

    def close(self) -> None:
        """Release the connection."""
        self.response.close()

    def __enter__(self) -> ResponseStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_READ_ERRORS = (urllib3.exceptions.HTTPError, requests.RequestException, http.client.HTTPException,
                OSError)


def _broke_off(exc: BaseException) -> BackendError:
    return BackendError(f"the download broke off ({type(exc).__name__})", transient=True)


def _content_length(response: requests.Response) -> int | None:
    try:
        length = int(response.headers.get("Content-Length", ""))
    except ValueError:
        return None
    return length if length >= 0 else None
