"""The kit's checks can fail: each catches a backend broken on purpose in one way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from eojobs.connection import Connection
from eojobs.testing import Conformance, Subject
from eojobs.testing.kit import Kit
from eojobs_mock.backend import MockBackend, MockSettings
from tests.conftest import GLASGOW


class Ignores(MockBackend):
    """Declares RESUMABLE_DOWNLOADS, but every stream starts at the first byte."""

    def open_asset(self, asset: Any, offset: int = 0) -> Any:
        return super().open_asset(asset, 0)


class Naive(MockBackend):
    """Times without a timezone."""

    def get_job(self, job_id: str) -> Any:
        info = super().get_job(job_id)
        return replace(info, created_at=info.created_at.replace(tzinfo=None))


class Overdone(MockBackend):
    """Progress beyond 100."""

    def get_job(self, job_id: str) -> Any:
        return replace(super().get_job(job_id), progress=150.0)


class Leaky(MockBackend):
    """A KeyError, not NotFound, for an id it cannot read."""

    def get_job(self, job_id: str) -> Any:
        if "/" in job_id:
            raise KeyError(job_id)
        return super().get_job(job_id)


class OldestFirst(MockBackend):
    """Lists jobs oldest first."""

    def list_jobs(self) -> Any:
        return super().list_jobs()[::-1]

    def recent_jobs(self, hints: Any) -> Any:
        return self.list_jobs()


class Shuffled(MockBackend):
    """Answers many jobs in its own order."""

    def get_jobs(self, job_ids: Any) -> Any:
        return sorted(super().get_jobs(job_ids), key=lambda info: info.id)


class Undead(MockBackend):
    """Deletes nothing."""

    def delete(self, job_id: str) -> None:
        self.get_job(job_id)


BROKEN: list[tuple[type[MockBackend], str, dict[str, Any]]] = [
    (Ignores, "test_open_asset_starts_at_an_offset", {}),
    (Ignores, "test_a_partial_download_is_finished", {"tmp_path": None}),
    (Naive, "test_submit_gives_a_created_job", {}),
    (Overdone, "test_a_started_job_runs_to_success", {}),
    (Leaky, "test_an_odd_job_id_is_refused_cleanly", {"odd": "a/b?c"}),
    (OldestFirst, "test_jobs_are_listed_newest_first", {}),
    (Shuffled, "test_get_jobs_answers_in_the_order_asked", {}),
    (Undead, "test_a_deleted_job_is_not_found", {}),
]


@pytest.fixture
def kit_of(tmp_path) -> Iterator[Callable[[type[MockBackend]], Kit]]:
    made: list[Kit] = []

    def make(backend_class: type[MockBackend]) -> Kit:
        backend = backend_class(MockSettings(speed=100_000))
        kit = Kit(Subject(Connection(backend), region=GLASGOW, service="Elevation",
                          timeout=30))
        made.append(kit)
        return kit

    yield make
    for kit in made:
        kit.close()
        kit.backend.close()


@pytest.mark.parametrize(("backend_class", "check", "arguments"), BROKEN,
                         ids=[f"{b.__name__}-{c}" for b, c, _ in BROKEN])
def test_a_broken_backend_fails_the_check(kit_of, tmp_path, backend_class, check,
                                          arguments) -> None:
    kit = kit_of(backend_class)
    arguments = {k: tmp_path if k == "tmp_path" else v for k, v in arguments.items()}
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        getattr(Conformance(), check)(kit, **arguments)


def test_the_same_checks_pass_on_the_mock_itself(kit_of, tmp_path) -> None:
    for _, check, arguments in BROKEN:
        arguments = {k: tmp_path / check if k == "tmp_path" else v
                     for k, v in arguments.items()}
        getattr(Conformance(), check)(kit_of(MockBackend), **arguments)
