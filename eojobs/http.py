"""The shared HTTP session for HTTP backends: timeouts, retries, bounds and error mapping.

Which failures are tried again, and how often, is the policy of
:mod:`eojobs.retrying`; :func:`send` carries out its HTTP part.
"""

from __future__ import annotations

import http.client
import re
import select
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from eojobs.backoff import backoff_delay
from eojobs.bounded import PIECE, declared_length, read_answer
from eojobs.errors import (
    AuthenticationError,
    BackendError,
    EOJobsError,
    InputError,
    InsufficientCredits,
    NotFound,
    RestartDownload,
)
from eojobs.http_log import install, log_retry
from eojobs.redact import redact_url
from eojobs.retrying import RetryBudget, operation

#: Methods that are safe to repeat after a failure.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Answers that say "not now": an idempotent request is asked again.
RETRY_STATUSES = (408, 429, 502, 503, 504)
#: Answers that say the request was refused, not carried out: any method may be repeated.
REFUSED_STATUSES = frozenset({429})
#: Methods that change nothing, so an answer that broke off can simply be asked for again.
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
#: Failures that trying again will not mend: a URL that cannot be fetched, a redirect loop.
PERMANENT = (requests.exceptions.TooManyRedirects, requests.exceptions.InvalidURL,
             requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
             requests.exceptions.InvalidHeader, requests.exceptions.SSLError,
             requests.exceptions.ContentDecodingError)


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, bounds and retries of one backend's HTTP traffic.

    ``read_timeout`` is the longest wait for the next bytes;
    ``request_timeout`` the longest a whole request may take, its answer
    read into memory included (streamed downloads have a least speed
    instead, see :class:`eojobs.download.RetryPolicy`). ``retries`` and
    ``retry_seconds`` are the budget of one request's retries, see
    :mod:`eojobs.retrying`.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    request_timeout: float = 120.0
    retries: int = 5
    retry_seconds: float = 120.0
    backoff: float = 0.5
    backoff_max: float = 30.0
    pool_size: int = 16
    max_answer_bytes: int = 64 << 20
    max_redirects: int = 10

    @property
    def timeout(self) -> tuple[float, float]:
        """The ``(connect, read)`` timeout pair requests takes."""
        return (self.connect_timeout, min(self.read_timeout, self.request_timeout))

    def budget(self) -> RetryBudget:
        """The retry budget of one request that is not part of a larger operation."""
        return RetryBudget(self.retries, self.retry_seconds)


#: The port of a URL that names none.
DEFAULT_PORTS = {"http": 80, "https": 443}


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is served by the same scheme, host and port as ``base``."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme.lower(), a.hostname, a.port or DEFAULT_PORTS.get(a.scheme.lower())) == \
        (b.scheme.lower(), b.hostname, b.port or DEFAULT_PORTS.get(b.scheme.lower()))


def ranged_stream(response: requests.Response, offset: int, policy: HttpPolicy) -> ResponseStream:
    """The streamed body of a download asked for from ``offset``.

    Raises RestartDownload (closing the answer) unless the server sent that
    very range: a 206 whose ``Content-Range`` starts at ``offset``.
    """
    if offset and (response.status_code != 206
                   or not range_starts_at(response.headers.get("Content-Range"), offset)):
        response.close()
        raise RestartDownload("the server did not send the byte range asked for; starting "
                              "again from zero")
    return ResponseStream(response, read_timeout=policy.timeout[1])


def range_starts_at(content_range: str | None, offset: int) -> bool:
    """Whether a 206 answer's ``Content-Range: bytes START-END/SIZE`` starts at ``offset``."""
    match = re.match(r"^\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*$", content_range or "")
    return match is not None and int(match.group(1)) == offset


def checked_http_url(value: str, example: str) -> str:
    """``value`` if it is an http(s) URL with a host; a ValueError naming ``example`` if not.

    For backends' settings validators; a password in the URL is never shown.
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{redact_url(value)!r} is not an http(s) URL such as {example}")
    return value


def make_session(policy: HttpPolicy, user_agent: str = "eojobs") -> requests.Session:
    """A session that follows at most ``policy.max_redirects`` redirects and retries nothing.

    Retries are :func:`send`'s, so that they are counted against one budget.
    """
    return _configured(requests.Session(), policy, user_agent)


def _configured(session: requests.Session, policy: HttpPolicy,
                user_agent: str) -> requests.Session:
    """``session`` with eojobs' adapters (no retries of their own), redirects and logging."""
    adapter = HTTPAdapter(max_retries=Retry(0, read=False, redirect=False),
                          pool_connections=policy.pool_size, pool_maxsize=policy.pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = policy.max_redirects
    session.headers["User-Agent"] = user_agent
    install(session)
    return session


class BoundedSession(requests.Session):
    """A session to hand to a library that makes its own calls (an OpenID Connect client).

    Each request it sends has ``policy``'s timeouts unless the library gives
    its own, and each answer is read within ``policy``'s size and time bounds,
    as :func:`send` reads them; a failure to connect is an eojobs BackendError.
    """

    def __init__(self, policy: HttpPolicy, user_agent: str = "eojobs") -> None:
        super().__init__()
        self.policy = policy
        _configured(self, policy, user_agent)

    def request(self, method: str | bytes, url: str | bytes,  # type: ignore[override]
                *args: Any, **kwargs: Any) -> requests.Response:
        """The request, its answer read into memory within the policy's bounds."""
        kwargs.setdefault("timeout", self.policy.timeout)
        kwargs.pop("stream", None)
        shown = f"{str(method).upper()} {shown_url(str(url))}"
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, stream=True, **kwargs)
            read_answer(response, what=shown, limit=self.policy.max_answer_bytes,
                        seconds=self.policy.request_timeout, started=started)
        except requests.RequestException as exc:
            raise transport_error(exc, shown, self.policy, str(url)) from None
        return response


def send(session: requests.Session, policy: HttpPolicy, method: str, url: str, *,
         what: str | None = None, stream: bool = False, repeatable: bool | None = None,
         **kwargs: Any) -> requests.Response:
    """``session.request`` within the bounds of ``policy``, retried as :mod:`eojobs.retrying` says.

    Unless ``stream`` is set, the answer is read into memory within
    ``policy.max_answer_bytes`` and ``policy.request_timeout``. A failure
    to get an answer raises a BackendError naming ``what`` (the method and
    the URL without its query by default); an answer is returned whatever
    its status, once retries of a status that calls for them are spent.

    Whether a request may be sent again follows from its method, unless
    ``repeatable`` says: a POST that only reads (a STAC search) is repeatable.
    """
    method = method.upper()
    what = what or f"{method} {shown_url(url)}"
    idempotent = method in IDEMPOTENT if repeatable is None else repeatable
    safe = method in SAFE if repeatable is None else repeatable
    kwargs.setdefault("timeout", policy.timeout)
    data = kwargs.get("data")
    rewind = data.tell() if hasattr(data, "seek") and hasattr(data, "tell") else None
    with operation(policy.budget) as budget:
        while True:
            if rewind is not None:
                data.seek(rewind)
            started = time.monotonic()
            try:
                response = session.request(method, url, stream=True, **kwargs)
                if response.status_code in RETRY_STATUSES:
                    again = response.status_code in REFUSED_STATUSES or idempotent
                    pause = _pause(response, budget, policy)
                    if budget.fail() and again and budget.allows_pause(pause):
                        response.close()
                        log_retry(method, url, f"HTTP {response.status_code}")
                        time.sleep(pause)
                        continue
                if not stream:
                    read_answer(response, what=what, limit=policy.max_answer_bytes,
                                seconds=policy.request_timeout, started=started)
                return response
            except requests.RequestException as exc:
                if isinstance(exc, PERMANENT):
                    raise transport_error(exc, what, policy, url) from None
                again = _repeatable_failure(exc, idempotent, safe)
                pause = backoff_delay(budget.failures + 1, policy.backoff, policy.backoff_max)
                if not (budget.fail() and again and budget.allows_pause(pause)):
                    raise transport_error(exc, what, policy, url) from None
                log_retry(method, url, type(exc).__name__)
                time.sleep(pause)


def _repeatable_failure(exc: requests.RequestException, idempotent: bool, safe: bool) -> bool:
    """Whether a request that failed with ``exc`` may be sent again."""
    if _not_sent(exc):
        return True
    if isinstance(exc, requests.Timeout):
        # A server silent for a whole read timeout is not asked again at once.
        return False
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return safe
    return isinstance(exc, requests.ConnectionError) and idempotent


def _not_sent(exc: requests.RequestException) -> bool:
    """Whether ``exc`` failed the request before any of it reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(
        reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))


def _pause(response: requests.Response, budget: RetryBudget, policy: HttpPolicy) -> float:
    """Seconds to wait before asking again: the server's Retry-After (capped), else backoff."""
    value = response.headers.get("Retry-After")
    if value:
        try:
            return min(float(Retry(0).parse_retry_after(value)), policy.backoff_max)
        except urllib3.exceptions.InvalidHeader:
            pass
    return backoff_delay(budget.failures + 1, policy.backoff, policy.backoff_max)


def shown_url(url: str) -> str:
    """``url`` for messages: without its query string or fragment, and without a password."""
    return redact_url(url.split("?", 1)[0].split("#", 1)[0]) or "the server"


def _host(url: str) -> str:
    """``host:port`` of ``url``."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return shown_url(url)
    return f"{parts.hostname}:{port}" if parts.hostname else shown_url(url)


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


def transport_error(exc: requests.RequestException, what: str, policy: HttpPolicy,
                    url: str) -> BackendError:
    """A BackendError saying how a request failed, without the URL's query string.

    A connection that could not be made, one that was made but stayed
    silent, and one dropped midway are told apart; a URL that cannot be
    fetched and a redirect loop are not transient.
    """
    where, host = shown_url(url), _host(url)
    transient = True
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        text, transient = (f"{where} redirects more than {policy.max_redirects} times "
                           "(a redirect loop?)"), False
    elif isinstance(exc, (requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                          requests.exceptions.InvalidURL)):
        text, transient = f"{where!r} is not an http(s) URL that can be fetched", False
    elif isinstance(exc, requests.exceptions.SSLError):
        text, transient = f"the secure connection to {host} failed", False
    elif isinstance(exc, (requests.exceptions.InvalidHeader,
                          requests.exceptions.ContentDecodingError)):
        text, transient = f"the answer from {where} could not be read", False
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
        text = f"the answer from {where} broke off"
    elif isinstance(exc, requests.exceptions.ConnectTimeout):
        text = f"could not connect to {host} within {policy.connect_timeout:g} s"
    elif isinstance(exc, requests.Timeout):
        text = (f"the server at {host} accepted the connection but sent nothing for "
                f"{policy.timeout[1]:g} s")
    elif _not_sent(exc):
        text = f"could not connect to {host}"
    else:
        text = f"the connection to {host} was dropped before the answer was complete"
    return BackendError(f"{what}: {text} ({type(exc).__name__})", transient=transient)


def json_or_error(response: requests.Response, message_of: MessageOf, what: str,
                  refine: Refine | None = None) -> Any:
    """The JSON body of a successful response; an eojobs error otherwise."""
    if response.status_code >= 400:
        raise error_for(response, message_of, what, refine)
    try:
        return response.json()
    except RecursionError:
        raise BackendError(f"the answer of {what} is nested too deeply") from None
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

    def __init__(self, response: requests.Response, read_timeout: float | None = None) -> None:
        self.response = response
        self.etag = response.headers.get("ETag")
        #: The Content-Length of the body, if the server said it: a body cut short then shows.
        self.length = declared_length(response)
        self._read_timeout = read_timeout
        response.raw.decode_content = True
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        body = getattr(response.raw, "_fp", None)
        self._body = body if isinstance(body, http.client.HTTPResponse) \
            and encoding in ("", "identity") else None
        self._left = self.length if self._body is not None else None
        self._tls = _tls_of(self._body)
        #: Whether http.client's buffer is empty, so that the socket may be read directly.
        self._drained = False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        try:
            if self._body is None:
                return bytes(self.response.raw.read(size))
            data = self._body.read(size if size >= 0 else None)
        except _READ_ERRORS as exc:
            raise self._failure(exc) from None
        self._count(len(data), size != 0)
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:
        """Fill ``buffer`` with the next bytes; how many, 0 at the end."""
        if self._body is None:
            return self._copy_into(buffer, self.read(len(buffer)))
        try:
            n = self._body.readinto(buffer)
        except _READ_ERRORS as exc:
            raise self._failure(exc) from None
        self._count(n, len(buffer) > 0)
        return n

    def readinto1(self, buffer: memoryview | bytearray) -> int:
        """Fill ``buffer`` with the bytes that have arrived; how many, 0 at the end.

        Like :meth:`read1`, without a new bytes object a read: a body with a
        Content-Length and no encoding is received from the socket straight
        into ``buffer``, as much as one ``recv_into`` gets; over TLS, which
        hands over one record (16 KiB) a read, every record that has already
        arrived, so that the engine writes and hashes in large pieces. Other
        bodies (chunked, encoded, without a length) go through :meth:`read1`.
        """
        body = self._body
        raw = getattr(getattr(body, "fp", None), "raw", None)
        if body is None or body.chunked or body.length is None \
                or not hasattr(raw, "readinto"):
            return self._copy_into(buffer, self.read1(len(buffer)))
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), body.length)
        if not self._drained:
            # What http.client's buffer holds past the headers first: the socket's
            # bytes come after it. read1 hands over only that if there is any.
            data = self.read1(wanted)
            self._drained = len(data) < wanted
            return self._copy_into(view, data)
        try:
            got = (raw.readinto(view[:wanted]) or 0) if wanted else 0
            if got and got < wanted and self._tls is not None:
                got += self._gather(raw, view[got:wanted])
        except _READ_ERRORS as exc:
            raise self._failure(exc) from None
        if wanted and not got:
            body._close_conn()
        body.length -= got
        self._count(got, len(view) > 0)
        return got

    @staticmethod
    def _copy_into(buffer: memoryview | bytearray, data: bytes) -> int:
        buffer[:len(data)] = data
        return len(data)

    def _gather(self, raw: Any, view: memoryview) -> int:
        """Read into ``view`` the TLS records that have arrived, without waiting for more."""
        got = 0
        sock, ready = self._tls
        while got < len(view) and (sock.pending() or ready.poll(0)):
            n = raw.readinto(view[got:])
            if not n:
                break
            got += n
        return got

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
                return bytes(read(min(size, PIECE) if size >= 0 else PIECE))
            data = self._body.read1(size)
        except _READ_ERRORS as exc:
            raise self._failure(exc) from None
        self._count(len(data), size != 0)
        return data

    def _failure(self, exc: BaseException) -> BackendError:
        if self._read_timeout is not None and isinstance(
                exc, (socket.timeout, urllib3.exceptions.ReadTimeoutError, requests.Timeout)):
            return BackendError(f"the server sent nothing for {self._read_timeout:g} s "
                                f"({type(exc).__name__})", transient=True)
        return _broke_off(exc)

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


def _tls_of(body: http.client.HTTPResponse | None) -> tuple[ssl.SSLSocket, Any] | None:
    """The TLS socket under ``body`` and a poll object on it, if it is one with ``poll``."""
    raw = getattr(getattr(body, "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    if not isinstance(sock, ssl.SSLSocket) or not hasattr(select, "poll"):
        return None
    ready = select.poll()
    ready.register(sock, select.POLLIN)
    return sock, ready


def _broke_off(exc: BaseException) -> BackendError:
    return BackendError(f"the download broke off ({type(exc).__name__})", transient=True)
