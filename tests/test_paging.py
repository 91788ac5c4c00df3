"""A listing's pages end: a repeated cursor or too many pages is an error, on every backend."""

from __future__ import annotations

import pytest

from eojobs.errors import BackendError
from eojobs.paging import PageGuard


def test_a_cursor_seen_before_or_too_many_pages_stop_the_listing():
    guard = PageGuard("GET /things", most=4)
    guard.going_on({"id": 1})
    guard.going_on({"id": 2})
    with pytest.raises(BackendError) as caught:
        guard.going_on({"id": 1})
    assert str(caught.value) == ("GET /things: the pages do not end (the server sent the same "
                                 "place to go on from twice, or over 4 pages)")
    guard.going_on({"id": 3})
    with pytest.raises(BackendError, match="over 4 pages"):
        guard.going_on({"id": 4})
