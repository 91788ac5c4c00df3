"""A listing's pages, followed only while they make progress: a server whose pages never end,
or that sends the same place to go on from twice, is an error, not an endless loop."""

from __future__ import annotations

import json
from typing import Any

from eojobs.errors import BackendError

#: The most pages one listing may have.
MAX_PAGES = 10_000


class PageGuard:
    """Notes where each next page of one listing starts; refuses a repeat or too many pages."""

    def __init__(self, what: str, most: int = MAX_PAGES) -> None:
        self.what = what
        self.most = most
        self._seen: set[str] = set()

    def going_on(self, cursor: Any) -> None:
        """Note the next page's cursor (a link, a token, a ``last`` object) before asking for it.

        Raises BackendError when the server gave this cursor before, or when
        the listing passes ``most`` pages.
        """
        key = json.dumps(cursor, sort_keys=True, default=str)
        if key in self._seen or len(self._seen) + 1 >= self.most:
            raise BackendError(f"{self.what}: the pages do not end (the server sent the same "
                               f"place to go on from twice, or over {self.most} pages)")
        self._seen.add(key)
