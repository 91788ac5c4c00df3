"""The openEO wire client: one requests session, the API root, bearer tokens, error documents.

It speaks the openEO API 1.x and nothing more; what the calls mean for an
eojobs job is the business of ``backend.py`` and ``mapping.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

import requests

from eojobs.credentials import require_private_channel
from eojobs.errors import (
    AuthenticationError,
    BackendError,
    EOJobsError,
    InputError,
    NotFound,
    NotReady,
)
from eojobs.http import (
    HttpPolicy,
    ResponseStream,
    error_for,
    json_or_error,
    make_session,
    ranged_stream,
    same_origin,
    send,
)
from eojobs.paging import PageGuard
from eojobs.redact import redact_url
from eojobs.retrying import operation
from eojobs.tokens import HoldsToken, SharedToken

Json = dict[str, Any]

#: openEO error codes that mean the token is not (or no longer) good.
TOKEN_CODES = frozenset({"AuthenticationRequired", "TokenInvalid", "AuthenticationSchemeInvalid"})
#: openEO error codes whose HTTP status alone would be read wrongly.
CODE_ERRORS: dict[str, type[EOJobsError]] = {
    "CredentialsInvalid": AuthenticationError,
    "TokenInvalid": AuthenticationError,
    "AuthenticationRequired": AuthenticationError,
    "JobNotFound": NotFound,
    "ProcessGraphNotFound": NotFound,
    "ProcessUnsupported": InputError,
    # The results of a job not finished yet: there are none to list or download.
    "JobNotFinished": NotReady,
}


def error_document(response: requests.Response) -> tuple[str, str, str]:
    """``(code, message, id)`` of an openEO error document; empty strings where absent."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return "", "", ""
    if not isinstance(body, dict):
        return "", "", ""
    return (str(body.get("code") or ""), str(body.get("message") or ""),
            str(body.get("id") or ""))


def error_message(response: requests.Response) -> str:
    """One line from an openEO error document: the message, then its code and request id."""
    code, message, request_id = error_document(response)
    if not (code or message):
        return f"HTTP {response.status_code} {response.reason or ''}".strip()
    tags = ", ".join(t for t in (code, f"request {request_id}" if request_id else "") if t)
    return f"{message or code} ({tags})" if tags else message




class OpenEOClient(HoldsToken):
    """HTTP calls to one openEO back-end, with a bearer token where one is set.

    ``token_source`` gives the token when the client has none yet;
    ``on_unauthorised`` is called when a request is refused for its token,
    and if it returns a new token, the request is repeated with it. Both are
    set by the backend, once its authentication is made with this client.
    """

    def __init__(self, url: str, policy: HttpPolicy | None = None) -> None:
        self.url = url.rstrip("/")
        self.policy = policy or HttpPolicy()
        self.session = make_session(self.policy, user_agent="eojobs-openeo")
        self.token_source: Callable[[], str | None] | None = None
        self.on_unauthorised: Callable[[], str | None] | None = None
        self._token = SharedToken(
            "not logged in to openeo",
            source=lambda: self.token_source() if self.token_source else None,
            renew=lambda: self.on_unauthorised() if self.on_unauthorised else None)
        self._root: str | None = None
        self._capabilities: Json | None = None

    def close(self) -> None:
        """Close the connection pool."""
        self.session.close()

    @property
    def root(self) -> str:
        """The API root, where ``GET /`` (after the server's redirects) gives capabilities."""
        if self._root is None:
            self.capabilities()
        assert self._root is not None
        return self._root

    def capabilities(self) -> Json:
        """``GET /``: the capabilities document; the API version must be 1.x."""
        if self._capabilities is None:
            response = send(self.session, self.policy, "GET", self.url + "/", what="GET /")
            body = _checked_json(response, "GET /")
            if not isinstance(body, dict):
                raise BackendError(f"{redact_url(self.url)} is not an openEO back-end: "
                                   "its capabilities are not a JSON object")
            version = str(body.get("api_version") or "")
            if not version.startswith("1."):
                raise BackendError(f"{redact_url(self.url)} speaks openEO API "
                                   f"{version or 'of no stated version'}; eojobs speaks 1.x")
            self._root = response.url.rstrip("/")
            self._capabilities = body
        return self._capabilities

    def offers(self, method: str, path: str) -> bool:
        """Whether the capabilities list ``method path`` (``/jobs/{job_id}/estimate``).

        A back-end whose capabilities list no endpoints at all is taken to offer it.
        """
        endpoints = self.capabilities().get("endpoints")
        if not isinstance(endpoints, list):
            return True
        return any(isinstance(e, dict) and e.get("path") == path
                   and method in (e.get("methods") or []) for e in endpoints)

    def basic_token(self, username: str, password: str) -> str:
        """``GET /credentials/basic``: the bearer token ``basic//<token>``."""
        require_private_channel(self.root, "the password")
        what = "GET /credentials/basic"
        response = send(self.session, self.policy, "GET", self.root + "/credentials/basic",
                        what=what, auth=(username, password), allow_redirects=False)
        if response.is_redirect:
            raise BackendError(f"{what}: the server answered HTTP {response.status_code}; "
                               "not following a redirect with the password (check the URL)")
        body = _checked_json(response, what)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise BackendError(f"{what}: the answer has no access_token")
        return f"basic//{token}"

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                body: Any = None, auth: bool = True,
                accept: frozenset[int] = frozenset()) -> requests.Response:
        """One API call; a successful response, or an eojobs error from the error document.

        An answer whose status is in ``accept`` is returned as it is, not raised.
        """
        what = f"{method} {path}"
        url = self.root + path

        def attempt(token: str | None) -> requests.Response:
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            return send(self.session, self.policy, method, url, what=what, params=params,
                        json=body, headers=headers)

        with operation(self.policy.budget):
            if auth:
                require_private_channel(url, "the access token")
                response = self._token.authorised(attempt, _token_refused)
            else:
                response = attempt(None)
        if response.status_code >= 400 and response.status_code not in accept:
            error = to_error(response, what)
            if auth and _token_refused(response):
                error = AuthenticationError(f"{error}; log in again with `eojobs login openeo`")
            raise error
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """A call whose answer is a JSON document."""
        response = self.request(method, path, **kwargs)
        return _checked_json(response, f"{method} {path}")

    def pages(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[Json]:
        """The items under ``key`` of a listing, following its ``next`` links on this server."""
        body = self.json("GET", path, params=params)
        guard = PageGuard(f"GET {path}")
        while True:
            items = body.get(key) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise BackendError(f"GET {path}: the answer has no list of {key}")
            yield from (item for item in items if isinstance(item, dict))
            following = _next_link(body)
            if not following:
                return
            target = urljoin(self.root + "/", following)
            if not target.startswith(self.root + "/"):
                raise BackendError(f"GET {path}: the next page is on another server "
                                   f"({redact_url(target)}); not sending the token there")
            guard.going_on(target)
            body = self.json("GET", target[len(self.root):])

    def open_url(self, url: str, offset: int = 0) -> ResponseStream:
        """Stream ``url`` from ``offset``; the token goes only to the API's own origin."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        if same_origin(url, self.root):
            require_private_channel(url, "the access token")
            headers["Authorization"] = f"Bearer {self._token.current()}"
        response = send(self.session, self.policy, "GET", url, what="download",
                        headers=headers, stream=True)
        if response.status_code >= 300:
            response.close()
            raise to_error(response, f"download of {redact_url(url)}")
        return ranged_stream(response, offset, self.policy)


def _token_refused(response: requests.Response) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 403 and error_document(response)[0] in TOKEN_CODES


def to_error(response: requests.Response, what: str) -> EOJobsError:
    """The eojobs error for a failed answer: by its openEO error code, else by its status."""
    return error_for(response, error_message, what, _by_code(response))


def _by_code(response: requests.Response) -> Callable[[int, str], type[EOJobsError] | None]:
    code = error_document(response)[0]
    return lambda _status, _message: CODE_ERRORS.get(code)


def _checked_json(response: requests.Response, what: str) -> Any:
    return json_or_error(response, error_message, what, _by_code(response))


def _next_link(body: Json) -> str | None:
    for link in body.get("links") or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            return str(link["href"])
    return None
