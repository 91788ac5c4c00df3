"""The Fusion Platform wire client: one method per endpoint, on one requests session.

It speaks the protocol and nothing more: envelopes, the two body styles,
paging through ``last[...]``, filters and bearer tokens. What the calls mean
for an eojobs job is the business of ``backend.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import requests

from eojobs.credentials import require_private_channel
from eojobs.errors import (
    AuthenticationError,
    BackendError,
    EOJobsError,
    InsufficientCredits,
)
from eojobs.http import (
    RETRY_STATUSES,
    HttpPolicy,
    ResponseStream,
    json_or_error,
    make_session,
    ranged_stream,
    send,
)
from eojobs.paging import PageGuard
from eojobs.redact import redact_url
from eojobs.retrying import operation
from eojobs.tokens import HoldsToken, SharedToken

PAGE_SIZE = 24
DEFAULT_API_URL = "https://api.thefusionplatform.com"

Json = dict[str, Any]


def error_message(response: requests.Response) -> str:
    """The server's ``error_message``, or the status line."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return f"HTTP {response.status_code} {response.reason or ''}".strip()
    if isinstance(body, dict) and body.get("error_message"):
        return str(body["error_message"])
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def platform_error(status: int, message: str) -> type[EOJobsError] | None:
    """The error the platform means by a 400 whose message says a login or credits failed."""
    lowered = message.lower()
    if "incorrect username or password" in lowered:
        return AuthenticationError
    if "insufficient credit" in lowered or "not enough credit" in lowered:
        return InsufficientCredits
    return None


def page_items(body: Any, what: str) -> list[Json]:
    """The items of a page ``{"list": [...], "last": {...}}``; a BackendError for any other shape.

    A page must have its ``list`` (an empty one too): an answer without one,
    such as a single model, is not taken for an empty collection.
    """
    if not isinstance(body, dict) or not isinstance(body.get("list"), list) \
            or not isinstance(body.get("last") or {}, dict):
        shape = "an object without a list of items" if isinstance(body, dict) \
            else f"a JSON {_JSON_NAMES.get(type(body), type(body).__name__)}"
        raise BackendError(f"{what}: the answer is not a page of items but {shape}")
    items = body["list"]
    if not all(isinstance(item, dict) for item in items):
        raise BackendError(f"{what}: the answer is not a page of items: its list holds "
                           "something other than objects")
    return list(items)


_JSON_NAMES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean",
               type(None): "null"}


def flat(model: str, fields: Mapping[str, Any]) -> Json:
    """The flat create/update body: ``{"Model[field]": value}``."""
    return {f"{model}[{key}]": value for key, value in fields.items()}


class FusionClient(HoldsToken):
    """HTTP calls to one Fusion Platform API, authenticated with a bearer token.

    ``on_unauthorised`` is called once when a request gets 401; if it returns
    a new token the request is repeated with it. Threads share the token:
    while one of them logs in again, the others wait for its new token
    rather than logging in too, and a request refused with a token another
    thread has since replaced is repeated with the replacement.
    """

    def __init__(self, api_url: str, policy: HttpPolicy | None = None,
                 on_unauthorised: Callable[[], str | None] | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.policy = policy or HttpPolicy()
        self.session = make_session(self.policy, user_agent="eojobs-fusion")
        self.on_unauthorised = on_unauthorised
        self.requests_made = 0
        self._token = SharedToken(
            "not logged in to the Fusion Platform",
            renew=lambda: self.on_unauthorised() if self.on_unauthorised else None)

    def close(self) -> None:
        """Close the connection pool."""
        self.session.close()

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> requests.Response:
        self.requests_made += 1
        return send(self.session, self.policy, method, url, what=what, **kwargs)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                body: Any = None, auth: bool = True, follow_redirects: bool = True) -> Any:
        """One API call; returns the parsed JSON body or raises an eojobs error.

        Its sends (retries, and a repeat with a renewed token) share one
        retry budget, that of the operation under way if there is one. With
        ``follow_redirects=False`` (the login, which carries the password) an
        answer that points elsewhere is an error naming where it pointed.
        """
        with operation(self.policy.budget):
            return self._request(method, path, params=params, body=body, auth=auth,
                                 follow_redirects=follow_redirects)

    def _request(self, method: str, path: str, *, params: Mapping[str, Any] | None,
                 body: Any, auth: bool, follow_redirects: bool) -> Any:
        what = f"{method} {path}"

        def attempt(token: str | None) -> requests.Response:
            headers = {"Content-Type": "application/json"}
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            response = self._send(method, self.api_url + path, what, params=params,
                                  json=body, headers=headers, allow_redirects=follow_redirects)
            if not follow_redirects and response.is_redirect:
                response.close()
                where = redact_url(response.headers.get("Location", "")) or "nowhere"
                raise BackendError(f"{what}: the server answered HTTP {response.status_code}, "
                                   f"pointing to {where}; not following it with credentials "
                                   "(check the API URL)")
            return response

        if not auth:
            return json_or_error(attempt(None), error_message, what, platform_error)
        require_private_channel(self.api_url, "the access token")
        response = self._token.authorised(attempt, lambda r: r.status_code == 401)
        if response.status_code == 401:
            raise AuthenticationError(f"{what}: {error_message(response)}; log in again with "
                                      "`eojobs login fusion` or set EOJOBS_FUSION_PASSWORD")
        return json_or_error(response, error_message, what, platform_error)

    def model(self, method: str, path: str, **kwargs: Any) -> Json:
        """A call whose answer is ``{"model": {...}}``."""
        body = self.request(method, path, **kwargs)
        if not isinstance(body, dict) or not isinstance(body.get("model"), dict):
            raise BackendError(f"{method} {path}: the answer has no model")
        return body["model"]

    def pages(self, path: str, *, reverse: bool = False, search: str | None = None,
              filters: Mapping[str, Any] | None = None, limit: int = PAGE_SIZE) -> Iterator[Json]:
        """Every item of a collection, following ``last`` from page to page."""
        for page in self.page_lists(path, reverse=reverse, search=search, filters=filters,
                                    limit=limit):
            yield from page

    def page_lists(self, path: str, *, reverse: bool = False, search: str | None = None,
                   filters: Mapping[str, Any] | None = None,
                   limit: int = PAGE_SIZE) -> Iterator[list[Json]]:
        """The pages of a collection one by one; the next is asked for only when wanted."""
        last: Json = {}
        guard = PageGuard(f"GET {path}")
        while True:
            params: Json = {"limit": limit, "reverse": str(reverse)}
            if search:
                params["search"] = search.lower()
            for key, value in (filters or {}).items():
                if value is not None:
                    params[f"filter[{key}]"] = str(value)
            params.update({f"last[{k}]": v for k, v in last.items()})
            body = self.request("GET", path, params=params)
            yield page_items(body, f"GET {path}")
            last = body.get("last") or {}
            if not last:
                return
            guard.going_on(last)

    # Users and organisations

    def login(self, email: str | None, user_id: str | None, password: str) -> Json:
        """``POST /users/login``: the id, access and refresh tokens."""
        require_private_channel(self.api_url, "the password")
        body = {"User": {"email": email, "user_id": user_id, "password": password}}
        return self.request("POST", "/users/login", body=body, auth=False,
                            follow_redirects=False)

    def get_user(self, user_id: str) -> Json:
        """``GET /users/{u}``."""
        return self.model("GET", f"/users/{user_id}")

    def get_organisation(self, org: str) -> Json:
        """``GET /organisations/{o}``."""
        return self.model("GET", f"/organisations/{org}")

    def get_credit(self, org: str) -> Json:
        """``GET /organisations/{o}/credits/{o}``."""
        return self.model("GET", f"/organisations/{org}/credits/{org}")

    # Data items and files

    def uploaded_data(self, org: str, reverse: bool = False, **filters: Any) -> Iterator[Json]:
        """``GET /organisations/{o}/data/uploaded`` (``reverse``: newest first)."""
        return self.pages(f"/organisations/{org}/data/uploaded", reverse=reverse,
                          filters=filters)

    def new_data(self, org: str) -> Json:
        """``GET /organisations/{o}/data/new``: the template of a data item."""
        return self.model("GET", f"/organisations/{org}/data/new")

    def create_data(self, org: str, fields: Mapping[str, Any]) -> Json:
        """``POST /organisations/{o}/data`` with a flat body."""
        return self.model("POST", f"/organisations/{org}/data", body=flat("Data", fields))

    def add_file(self, org: str, data_id: str, name: str, file_type: str) -> tuple[str, str]:
        """``POST .../data/{d}/add_file``: the new file's id and its upload URL."""
        body = self.request("POST", f"/organisations/{org}/data/{data_id}/add_file",
                            body={"Data": {"name": name, "file_type": file_type}})
        extras = (body or {}).get("extras") or {}
        if not extras.get("file") or not extras.get("url"):
            raise BackendError("add_file: the answer has no file id or upload URL")
        return str(extras["file"]), str(extras["url"])

    def upload(self, url: str, path: Path) -> None:
        """``PUT`` a file's bytes to a signed upload URL (no API headers)."""
        with open(path, "rb") as handle:
            response = self._send("PUT", url, f"upload of {path.name}", data=handle,
                                  headers={"Content-Length": str(path.stat().st_size)})
        if response.status_code >= 300:
            raise BackendError(f"upload of {path.name} failed: HTTP {response.status_code}",
                               transient=response.status_code >= 500)

    def files(self, org: str, data_id: str) -> list[Json]:
        """``GET .../data/{d}/files``, all pages."""
        return list(self.pages(f"/organisations/{org}/data/{data_id}/files"))

    def download_url(self, org: str, data_id: str, file_id: str, preview: bool = False) -> str:
        """``GET .../data/{d}/download_file/{f}``: a signed URL of the bytes."""
        body = self.request("GET", f"/organisations/{org}/data/{data_id}/download_file/{file_id}",
                            params={"preview": str(preview)})
        url = ((body or {}).get("extras") or {}).get("url")
        if not url:
            raise BackendError("download_file: the answer has no URL")
        return str(url)

    def open_url(self, url: str, offset: int = 0) -> ResponseStream:
        """Stream a signed URL's bytes from ``offset`` (no API headers)."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self._send("GET", url, "download", headers=headers, stream=True)
        if response.status_code >= 300:
            response.close()
            status = response.status_code
            raise BackendError(f"download failed: HTTP {status}",
                               transient=status in RETRY_STATUSES or status >= 500)
        return ranged_stream(response, offset, self.policy)

    # Services

    def services(self, org: str, search: str | None = None, **filters: Any) -> Iterator[Json]:
        """``GET /organisations/{o}/services/latest``."""
        return self.pages(f"/organisations/{org}/services/latest", search=search,
                          filters=filters)

    # Processes

    def new_process(self, org: str, service_id: str) -> tuple[Json, Json]:
        """``GET .../processes/new?service_id=``: the template and its extras."""
        body = self.request("GET", f"/organisations/{org}/processes/new",
                            params={"service_id": service_id})
        return body.get("model") or {}, body.get("extras") or {}

    def create_process(self, org: str, fields: Mapping[str, Any]) -> Json:
        """``POST /organisations/{o}/processes`` with a flat body."""
        return self.model("POST", f"/organisations/{org}/processes",
                          body=flat("Process", fields))

    def processes(self, org: str, limit: int = PAGE_SIZE, **filters: Any) -> Iterator[Json]:
        """``GET /organisations/{o}/processes``."""
        return self.pages(f"/organisations/{org}/processes", filters=filters, limit=limit)

    def process_pages(self, org: str, limit: int = PAGE_SIZE,
                      reverse: bool = False) -> Iterator[list[Json]]:
        """``GET /organisations/{o}/processes`` page by page (``reverse``: newest first)."""
        return self.page_lists(f"/organisations/{org}/processes", limit=limit, reverse=reverse)

    def get_process(self, org: str, process_id: str) -> Json:
        """``GET .../processes/{p}``."""
        return self.model("GET", f"/organisations/{org}/processes/{process_id}")

    def get_process_with_extras(self, org: str, process_id: str) -> tuple[Json, Json]:
        """``GET .../processes/{p}`` with its extras (available dispatchers)."""
        body = self.request("GET", f"/organisations/{org}/processes/{process_id}")
        return body.get("model") or {}, body.get("extras") or {}

    def patch_process(self, org: str, process_id: str, fields: Mapping[str, Any]) -> Json:
        """``PATCH .../processes/{p}`` with a flat body."""
        return self.model("PATCH", f"/organisations/{org}/processes/{process_id}",
                          body=flat("Process", fields))

    def delete_process(self, org: str, process_id: str) -> None:
        """``DELETE .../processes/{p}``."""
        self.request("DELETE", f"/organisations/{org}/processes/{process_id}")

    def copy_process(self, org: str, process_id: str) -> Json:
        """``GET .../processes/{p}/copy``: a template carrying the process's settings."""
        return self.model("GET", f"/organisations/{org}/processes/{process_id}/copy")

    def execute(self, org: str, process_id: str) -> Json:
        """``POST .../processes/{p}/execute``."""
        return self.model("POST", f"/organisations/{org}/processes/{process_id}/execute")

    def stop(self, org: str, process_id: str) -> Json:
        """``POST .../processes/{p}/stop``."""
        return self.model("POST", f"/organisations/{org}/processes/{process_id}/stop")

    def executions(self, org: str, process_id: str, **filters: Any) -> list[Json]:
        """``GET .../processes/{p}/executions``, oldest first."""
        return list(self.pages(f"/organisations/{org}/processes/{process_id}/executions",
                               filters=filters))

    # Executions, components, logs

    def change_delete_expiry(self, org: str, execution_id: str, when: str) -> None:
        """``POST .../process_executions/{e}/change_delete_expiry``."""
        self.request("POST",
                     f"/organisations/{org}/process_executions/{execution_id}/change_delete_expiry",
                     body={"ProcessExecution": {"delete_expiry": when}})

    def components(self, org: str, execution_id: str) -> list[Json]:
        """``GET .../process_executions/{e}/process_service_executions``."""
        return list(self.pages(
            f"/organisations/{org}/process_executions/{execution_id}/process_service_executions"))

    def logs(self, org: str, component_id: str) -> list[Json]:
        """``GET .../process_service_executions/{c}/logs``, oldest first."""
        return list(self.pages(
            f"/organisations/{org}/process_service_executions/{component_id}/logs"))
