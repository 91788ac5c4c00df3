"""pystac-client's I/O through the core's HTTP: bounded answers and times, one retry budget.

pystac-client knows STAC (links, conformance, search bodies, paging); the core
knows HTTP (timeouts, retries, bounded answers, error mapping). This class is
where they meet. The provider's headers go only to the API's own origin: a
``next`` link, an item or a collection elsewhere gets none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import requests
from pystac.link import Link
from pystac_client.stac_api_io import StacApiIO

from eojobs.credentials import require_private_channel
from eojobs.errors import BackendError, EOJobsError
from eojobs.http import HttpPolicy, error_for, make_session, same_origin, send, shown_url
from eojobs.paging import PageGuard

Json = dict[str, Any]


def error_message(response: requests.Response) -> str:
    """One line from a STAC API error document (``code`` and ``description``), else the status."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict):
        text = str(body.get("description") or body.get("message") or body.get("detail") or "")
        code = str(body.get("code") or "")
        if text or code:
            return f"{text} ({code})" if text and code else text or code
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


class BoundedStacIO(StacApiIO):
    """A StacApiIO whose requests are the core's :func:`eojobs.http.send`."""

    def __init__(self, root: str, headers: dict[str, str], policy: HttpPolicy) -> None:
        super().__init__(max_retries=None)
        self.session.close()
        self.session = make_session(policy, user_agent="eojobs-stac")
        self.root = root
        self.policy = policy
        self._secret_headers = dict(headers)
        self._keep_headers_home(self.session)

    def _keep_headers_home(self, session: requests.Session) -> None:
        """Drop the provider's headers from a request that a redirect takes to another origin.

        requests itself drops only ``Authorization``, and only when the host changes.
        """
        names = {name.lower() for name in self._secret_headers}
        rebuild = session.rebuild_auth

        def rebuild_auth(prepared: requests.PreparedRequest,
                         response: requests.Response) -> None:
            rebuild(prepared, response)
            if not same_origin(prepared.url or "", self.root):
                for name in [h for h in prepared.headers if h.lower() in names]:
                    del prepared.headers[name]

        session.rebuild_auth = rebuild_auth  # type: ignore[method-assign]

    def headers_for(self, url: str) -> dict[str, str]:
        """The provider's headers if ``url`` is on the API's origin, else none.

        Headers (a token among them) are refused over plain http off this machine.
        """
        if not (self._secret_headers and same_origin(url, self.root)):
            return {}
        require_private_channel(url, "the STAC provider's headers")
        return dict(self._secret_headers)

    def request(self, href: str, method: str | None = None,
                headers: dict[str, str] | None = None,
                parameters: dict[str, Any] | None = None) -> str:
        """One API call; its body as text, or an eojobs error built from the answer."""
        method = (method or "GET").upper()
        what = f"{method} {shown_url(href)}"
        sent = {**(headers or {}), **self.headers_for(href)}
        if method == "POST":
            # A search only reads, so a failed page is asked for again like a GET.
            response = send(self.session, self.policy, method, href, what=what, headers=sent,
                            json=parameters or {}, repeatable=True)
        else:
            response = send(self.session, self.policy, method, href, what=what, headers=sent,
                            params=parameters or None)
        if response.status_code != 200:
            raise to_error(response, what)
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError:
            raise BackendError(f"{what}: the answer is not UTF-8 text") from None

    def read_json(self, source: Any, *args: Any, **kwargs: Any) -> Json:
        """A JSON object from the API; anything else is a BackendError."""
        try:
            found = super().read_json(source, *args, **kwargs)
        except RecursionError:
            raise BackendError("the STAC API's answer is nested too deeply") from None
        except ValueError as exc:
            if isinstance(exc, EOJobsError):
                raise
            raise BackendError(f"the STAC API answered with something that is not JSON "
                               f"({shown_url(str(getattr(source, 'href', source)))})") from None
        if not isinstance(found, dict):
            raise BackendError("the STAC API answered with JSON that is not an object")
        return found

    def get_pages(self, url: str, method: str | None = None,
                  parameters: dict[str, Any] | None = None) -> Iterator[Json]:
        """Each page of a listing (``/collections``, ``/search``), while the pages make progress."""
        page = self.read_json(url, method=method, parameters=parameters)
        guard = PageGuard(f"{method or 'GET'} {shown_url(url)}")
        while True:
            if not (page.get("features") or page.get("collections")):
                return
            yield page
            following = next((link for link in page.get("links") or []
                              if isinstance(link, dict) and link.get("rel") == "next"), None)
            if following is None:
                return
            if not isinstance(following.get("href"), str):
                raise BackendError("the STAC API's next link has no href")
            guard.going_on(following)
            page = self.read_json(Link.from_dict(following), parameters=parameters)


def to_error(response: requests.Response, what: str) -> EOJobsError:
    """The eojobs error for a failed answer of the API."""
    return error_for(response, error_message, what)
