"""The bytes of assets: open from an offset, see whether an offline one is ready, order one.

An asset href may be on any server; the provider's headers go with a request
only when the href is on the API's own origin (see :class:`BoundedStacIO`).
Nothing here retries: the download engine retries a file, and the job's
wait polls an asset that is not ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import requests
import urllib3
from urllib3.util.retry import Retry

from eojobs.backend import ByteStream
from eojobs.errors import EOJobsError, NotReady
from eojobs.http import HttpPolicy, ranged_stream, send, transport_error
from eojobs.models import Asset
from eojobs.redact import redact_url
from eojobs_stac.io import to_error
from eojobs_stac.store import GONE, ONLINE, WAITING

#: Answers of an href that say "not online yet": accepted for staging, or unavailable for now.
STAGING = 202
UNAVAILABLE = 503
#: Refusals (4xx) that pass: any other says the file will never come.
PASSING_STATUSES = frozenset({408, 425, 429})
#: Seconds before looking again at an asset whose server named no time.
DEFAULT_WAIT = 5.0
#: The longest wait between two looks, whatever the server says.
MAX_WAIT = 300.0


@dataclass(frozen=True)
class Look:
    """What a look at an asset's href found: its state, when to look again, and why."""

    state: str
    wait: float = 0.0
    note: str = ""


class AssetTransfer:
    """GET and POST of asset hrefs and order links, with the session and policy of the API."""

    def __init__(self, session: requests.Session, policy: HttpPolicy,
                 headers_for: Callable[[str], dict[str, str]]) -> None:
        self.session = session
        self.policy = policy
        self.headers_for = headers_for

    def open(self, asset: Asset, offset: int = 0) -> ByteStream:
        """A stream of the asset's bytes from ``offset``; NotReady while it is offline."""
        what = f"download of {asset.name}"
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self._get(asset.href, headers, what)
        wait = not_ready(response)
        if wait is not None:
            response.close()
            when = f"; try again in {wait:g} s" if wait else ""
            raise NotReady(f"{asset.name} is not online yet (HTTP {response.status_code}: the "
                           f"provider is staging it){when}")
        if response.status_code >= 300:
            response.close()
            raise to_error(response, f"{what} ({redact_url(asset.href)})")
        return ranged_stream(response, offset, self.policy)

    def look(self, href: str) -> Look:
        """Whether an offline asset is online now: one ranged GET of its first byte."""
        try:
            response = self._get(href, {"Range": "bytes=0-0"}, "check")
        except EOJobsError as exc:  # a network hiccup is looked at again; a bad href is not
            return Look(WAITING, DEFAULT_WAIT, str(exc)) if getattr(exc, "transient", False) \
                else Look(GONE, note=str(exc))
        with response:
            wait = not_ready(response)
            status = response.status_code
        if wait is not None:
            return Look(WAITING, min(wait or DEFAULT_WAIT, MAX_WAIT), f"HTTP {status}")
        if status < 300:
            return Look(ONLINE)
        if 400 <= status < 500 and status not in PASSING_STATUSES:
            return Look(GONE, note=f"HTTP {status} from {redact_url(href)}")
        return Look(WAITING, DEFAULT_WAIT, f"HTTP {status}")

    def order(self, href: str) -> None:
        """POST an item's order link, so that the provider stages its offline assets."""
        what = f"order ({redact_url(href)})"
        response = send(self.session, self.policy, "POST", href, what=what,
                        headers=self.headers_for(href))
        if response.status_code >= 300:
            raise to_error(response, what)

    def _get(self, href: str, headers: dict[str, str], what: str) -> requests.Response:
        """One streamed GET, not retried: a transport failure is a (transient) BackendError."""
        try:
            return self.session.get(href, headers={**headers, **self.headers_for(href)},
                                    stream=True, timeout=self.policy.timeout)
        except requests.RequestException as exc:
            raise transport_error(exc, what, self.policy, href) from None


def not_ready(response: requests.Response) -> float | None:
    """Seconds to wait (0 when unsaid) if the answer says the file is not online yet, else None.

    A 202 says so always; a 503 only with a Retry-After, since without one it
    is a server that is down, which the download engine retries.
    """
    after = response.headers.get("Retry-After")
    if response.status_code == STAGING:
        return _seconds(after)
    if response.status_code == UNAVAILABLE and after:
        return _seconds(after)
    return None


def _seconds(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(Retry(0).parse_retry_after(value)))
    except urllib3.exceptions.InvalidHeader:
        return 0.0
