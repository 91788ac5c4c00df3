"""Conformance: the tests every backend should pass, as a class to subclass in a test module.

Each test checks one promise of the SPI (:mod:`eojobs.backend`) on the
backend of the ``eojobs_subject`` fixture, through the ``eojobs_kit`` fixture
(a :class:`~eojobs.testing.kit.Kit`). A test of a feature the backend does
not offer is skipped with a reason naming it.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from eojobs.backend import METHOD_CAPABILITIES, JobHints, SearchRequest, check_backend
from eojobs.errors import InputError, NotFound, RestartDownload, Unsupported
from eojobs.models import Capability, JobStatus, RegionLimits, Service
from eojobs.testing.checks import (
    check_asset,
    check_info,
    check_log_entry,
    check_time,
    newest_first,
)
from eojobs.testing.kit import Kit
from eojobs.testing.plugin import MARKER
from eojobs.testing.subject import Subject

#: Ids no backend should take for a job or service, nor fail on with anything but
#: NotFound or InputError: a path out, a query, a very long one, non-ASCII ones.
ODD_IDS = ["../x", "a/b?c", "x" * 5000, "ジョブ-ünïcødé", "%2e%2e%2fx", "a b#c"]
ODD_ID_NAMES = ["dot-dot", "query", "very-long", "non-ascii", "escaped", "space-hash"]


def _refused_cleanly(call: Callable[[], Any], what: str, allow_none: bool = False,
                     strict: bool = False) -> str | None:
    """What is wrong with ``call``'s answer to an id it cannot know; None when it is right.

    Right is NotFound, or InputError unless ``strict``; or None if ``allow_none``.
    """
    try:
        answer = call()
    except NotFound:
        return None
    except InputError as exc:
        return f"{what} raised InputError ({exc}), not NotFound" if strict else None
    except Exception as exc:  # noqa: BLE001 - anything else is what the check reports
        return f"{what} raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}"[:500]
    if allow_none and answer is None:
        return None
    return f"{what} answered {answer!r} instead of raising NotFound"[:500]


class Conformance:
    """The conformance suite of an eojobs backend; subclass it as ``TestConformance``.

    It needs an ``eojobs_subject`` fixture giving an :class:`eojobs.testing.Subject`.
    Jobs the tests create are deleted when each test ends.
    """

    pytestmark = [getattr(pytest.mark, MARKER)]

    @pytest.fixture
    def eojobs_kit(self, eojobs_subject: Subject) -> Iterator[Kit]:
        """The subject, with the helpers the tests use; deletes the jobs they made."""
        kit = Kit(eojobs_subject)
        try:
            yield kit
        finally:
            kit.close()

    # --- the backend class ---------------------------------------------------------------

    def test_the_backend_class_is_fit_to_register(self, eojobs_kit: Kit) -> None:
        """``check_backend`` finds nothing wrong with the class."""
        assert check_backend(type(eojobs_kit.backend)) == []

    def test_a_missing_feature_is_refused_by_name(self, eojobs_kit: Kit) -> None:
        """Each optional method whose capability is not offered raises Unsupported naming
        the backend (``get_jobs`` has a working default and is left out)."""
        kit, backend = eojobs_kit, eojobs_kit.backend
        missing = [m for m, c in METHOD_CAPABILITIES.items()
                   if c not in kit.features and c is not Capability.BATCH_STATUS]
        if not missing:
            pytest.skip(f"the {backend.name} backend offers every optional method")
        job_id = kit.create().id
        request = SearchRequest(service=kit.service, region=_region(kit), options={})
        calls: dict[str, Callable[[], Any]] = {
            "stop": lambda: backend.stop(job_id), "logs": lambda: backend.logs(job_id),
            "credits": backend.credits, "search": lambda: backend.search(request),
            "job_region": lambda: backend.job_region(job_id),
            "login": lambda: backend.login(lambda text: None),
        }
        for method in missing:
            with pytest.raises(Unsupported) as caught:
                calls[method]()
            assert backend.name in str(caught.value), (
                f"{method}() raised Unsupported({str(caught.value)!r}), which does not name the "
                f"{backend.name} backend")

    # --- services ---------------------------------------------------------------------------

    def test_services_are_listed_and_each_is_found_by_its_id(self, eojobs_kit: Kit) -> None:
        """``list_services`` gives Services with distinct ids; ``get_service`` finds each."""
        services = eojobs_kit.backend.list_services()
        assert services, "list_services() is empty"
        assert all(isinstance(s, Service) for s in services)
        ids = [s.id for s in services]
        assert len(set(ids)) == len(ids), f"list_services() repeats ids: {ids}"
        for service in services[:20]:
            found = eojobs_kit.backend.get_service(service.id)
            assert isinstance(found, Service) and found.id == service.id
        assert eojobs_kit.service.id in ids

    def test_an_unknown_service_is_not_found(self, eojobs_kit: Kit) -> None:
        """``get_service`` of an id the platform does not know raises NotFound."""
        with pytest.raises(NotFound):
            eojobs_kit.backend.get_service(f"no_such_service_{uuid.uuid4().hex}")

    @pytest.mark.parametrize("odd", ODD_IDS, ids=ODD_ID_NAMES)
    def test_an_odd_service_id_is_refused_cleanly(self, eojobs_kit: Kit, odd: str) -> None:
        """``get_service`` of a hostile id raises NotFound or InputError, nothing else."""
        problem = _refused_cleanly(lambda: eojobs_kit.backend.get_service(odd), "get_service")
        assert problem is None, problem

    def test_region_limits_take_the_subject_region(self, eojobs_kit: Kit) -> None:
        """``region_limits`` gives RegionLimits, and the subject's region is within them."""
        from eojobs.geo.limits import check_limits

        limits = eojobs_kit.backend.region_limits(eojobs_kit.service)
        assert isinstance(limits, RegionLimits)
        check_limits(_region(eojobs_kit), limits, eojobs_kit.backend.name)

    # --- a job's life -----------------------------------------------------------------------

    def test_submit_gives_a_created_job(self, eojobs_kit: Kit) -> None:
        """``submit`` gives a CREATED job of the service and name asked; ``get_job`` agrees."""
        job = eojobs_kit.create("conformance submit")
        check_info(job.info)
        assert job.status is JobStatus.CREATED
        service = eojobs_kit.service
        assert job.info.service_id in (service.id, *service.aliases)
        assert job.name == "conformance submit"
        again = eojobs_kit.backend.get_job(job.id)
        check_info(again, job.id)
        assert again.status is JobStatus.CREATED

    def test_a_declared_price_is_given_by_submit(self, eojobs_kit: Kit) -> None:
        """With PRICE, a created job has a price (a number of credits, 0 or more)."""
        eojobs_kit.require(Capability.PRICE, "prices")
        job = eojobs_kit.create()
        assert job.price is not None, "the backend declares PRICE but submit gave no price"

    def test_a_started_job_runs_to_success(self, eojobs_kit: Kit) -> None:
        """``start`` starts it; every state read on the way is sane; it ends SUCCEEDED."""
        job = eojobs_kit.finished()
        started = eojobs_kit.seen[0]
        assert started.status is not JobStatus.CREATED, "start() answered a job still CREATED"
        assert job.status is JobStatus.SUCCEEDED
        assert eojobs_kit.seen[-1].status is JobStatus.SUCCEEDED

    def test_a_schedule_is_kept_and_armed(self, eojobs_kit: Kit) -> None:
        """With SCHEDULES, a job keeps the schedule it was given and ``start`` arms it."""
        eojobs_kit.require(Capability.SCHEDULES, "scheduled jobs")
        at = (datetime.now(timezone.utc) + timedelta(days=3650)).replace(microsecond=0)
        job = eojobs_kit.create(schedule={"start_at": at, "repeat_count": 2,
                                          "repeat_every": timedelta(days=1)})
        assert job.info.schedule is not None, "submit dropped the schedule"
        check_time(job.info.schedule.start_at, "the schedule's start_at")
        assert abs(job.info.schedule.start_at - at) <= timedelta(seconds=1)
        assert job.info.schedule.repeat_count == 2
        armed = eojobs_kit.backend.start(job.id)
        check_info(armed, job.id)
        assert armed.status is JobStatus.SCHEDULED

    def test_stop_ends_a_running_job(self, eojobs_kit: Kit) -> None:
        """With STOP, a started job stopped ends STOPPED (or SUCCEEDED if it was done first)."""
        eojobs_kit.require(Capability.STOP, "stopping jobs")
        backend = eojobs_kit.backend
        job = eojobs_kit.create()
        backend.start(job.id)
        stopped = backend.stop(job.id)
        check_info(stopped, job.id)
        final = eojobs_kit.wait(job.id)
        assert final.status in (JobStatus.STOPPED, JobStatus.SUCCEEDED), (
            f"a stopped job ended {final.status.value}")

    def test_a_deleted_job_is_not_found(self, eojobs_kit: Kit) -> None:
        """After ``delete`` the job, its listing entry and its files are gone: NotFound."""
        backend = eojobs_kit.backend
        job = eojobs_kit.finished()
        backend.delete(job.id)
        eojobs_kit.forget(job.id)
        with pytest.raises(NotFound):
            backend.get_job(job.id)
        with pytest.raises(NotFound):
            backend.list_assets(job.id)
        with pytest.raises(NotFound):
            backend.delete(job.id)
        assert job.id not in {i.id for i in backend.list_jobs()}

    def test_an_unknown_job_is_not_found(self, eojobs_kit: Kit) -> None:
        """Every method taking a job id raises NotFound for one the platform does not know."""
        problems = [p for job_id in (eojobs_kit.unknown_id(), str(uuid.uuid4()))
                    for p in _job_calls(eojobs_kit, job_id, strict=True)]
        assert not problems, "\n".join(problems)

    @pytest.mark.parametrize("odd", ODD_IDS, ids=ODD_ID_NAMES)
    def test_an_odd_job_id_is_refused_cleanly(self, eojobs_kit: Kit, odd: str) -> None:
        """Every method taking a job id raises NotFound or InputError for a hostile id."""
        problems = _job_calls(eojobs_kit, odd, strict=False)
        assert not problems, "\n".join(problems)

    # --- listings ---------------------------------------------------------------------------

    def test_jobs_are_listed_newest_first(self, eojobs_kit: Kit) -> None:
        """``list_jobs`` and ``recent_jobs`` hold new jobs, newest first."""
        older, newer = _two_jobs(eojobs_kit)
        for what, listed in (("list_jobs()", eojobs_kit.backend.list_jobs()),
                             ("recent_jobs(JobHints())",
                              eojobs_kit.backend.recent_jobs(JobHints()))):
            for info in listed:
                check_info(info)
            ids = [i.id for i in listed]
            assert older in ids and newer in ids, f"{what} lacks a job just created"
            newest_first(listed, what)
            assert ids.index(newer) < ids.index(older), f"{what} is not newest first"

    def test_recent_jobs_keeps_what_the_hints_want(self, eojobs_kit: Kit) -> None:
        """What the core keeps of ``recent_jobs(hints)`` is what it keeps of every job."""
        from eojobs.joblist import job_filter

        older, newer = _two_jobs(eojobs_kit)
        infos = {i.id: i for i in eojobs_kit.backend.list_jobs()}
        since = infos[older].created_at
        for chosen in (job_filter(limit=1), job_filter(since=since),
                       job_filter(since=since, limit=1)):
            hinted = eojobs_kit.backend.recent_jobs(chosen.hints())
            newest_first(hinted, f"recent_jobs({chosen.hints()})")
            kept = [i.id for i in chosen.select(hinted)]
            assert kept == [i.id for i in chosen.select(eojobs_kit.backend.list_jobs())], (
                f"recent_jobs({chosen.hints()}) left out jobs the core keeps")
            assert kept[0] == newer

    def test_get_jobs_answers_in_the_order_asked(self, eojobs_kit: Kit) -> None:
        """``get_jobs`` gives one state per id, in the order asked, equal to ``get_job``'s."""
        backend = eojobs_kit.backend
        ids = [eojobs_kit.create(f"conformance batch {n}").id for n in range(3)]
        assert backend.get_jobs([]) == []
        for order in (ids, ids[::-1], [ids[1], ids[0], ids[2]]):
            answers = backend.get_jobs(order)
            assert [a.id for a in answers] == order
            for answer in answers:
                check_info(answer)
                assert answer == backend.get_job(answer.id)

    def test_many_jobs_status_comes_in_one_call(self, eojobs_kit: Kit) -> None:
        """With BATCH_STATUS, ``get_jobs`` does not ask ``get_job`` once per job."""
        eojobs_kit.require(Capability.BATCH_STATUS, "many jobs' status in one call")
        backend = eojobs_kit.backend
        ids = [eojobs_kit.create(f"conformance batch {n}").id for n in range(3)]
        asked: list[str] = []
        own = backend.get_job

        def counted(job_id: str) -> Any:
            asked.append(job_id)
            return own(job_id)

        backend.get_job = counted
        try:
            answers = backend.get_jobs(ids)
        finally:
            del backend.get_job
        assert [a.id for a in answers] == ids
        assert len(asked) < len(ids), (
            f"get_jobs() called get_job() for each of {len(ids)} jobs, as the default does; "
            "a backend that offers BATCH_STATUS asks for them together")

    # --- results ----------------------------------------------------------------------------

    def test_a_job_not_run_lists_assets_without_error(self, eojobs_kit: Kit) -> None:
        """``list_assets`` of a job not started gives a list, not an error: empty, unless
        its files exist before it runs (as a STAC catalogue's scenes do)."""
        job = eojobs_kit.create()
        assets = eojobs_kit.backend.list_assets(job.id)
        assert isinstance(assets, list)
        for asset in assets:
            check_asset(asset, job.info)

    def test_a_finished_job_lists_its_assets(self, eojobs_kit: Kit) -> None:
        """``list_assets`` of a job that succeeded gives well-formed Assets."""
        job = eojobs_kit.finished()
        for asset in eojobs_kit.assets():
            check_asset(asset, job.info)

    def test_open_asset_reads_each_whole_file(self, eojobs_kit: Kit) -> None:
        """Each file read through ``open_asset`` has its declared size and sha256."""
        for asset in eojobs_kit.assets()[:6]:
            data = eojobs_kit.read(asset)
            if asset.size is not None:
                assert len(data) == asset.size, (
                    f"{asset.name}: read {len(data)} bytes, its size says {asset.size}")
            if asset.checksum:
                assert hashlib.sha256(data).hexdigest() == asset.checksum.lower(), (
                    f"{asset.name}: the bytes read do not have its checksum")

    def test_open_asset_starts_at_an_offset(self, eojobs_kit: Kit) -> None:
        """``open_asset(asset, k)`` gives exactly the bytes from k, or, for a backend that does
        not declare RESUMABLE_DOWNLOADS, raises RestartDownload."""
        asset, full = _largest(eojobs_kit)
        resumable = Capability.RESUMABLE_DOWNLOADS in eojobs_kit.features
        for offset in sorted({1, len(full) // 2, len(full) - 1}):
            try:
                rest = eojobs_kit.read(asset, offset)
            except RestartDownload:
                assert not resumable, (
                    f"{asset.name}: open_asset at {offset} raised RestartDownload, but the "
                    "backend declares RESUMABLE_DOWNLOADS")
                continue
            assert rest == full[offset:], (
                f"{asset.name}: open_asset at {offset} gave {len(rest)} bytes that are not the "
                f"file's last {len(full) - offset}")

    def test_a_partial_download_is_finished(self, eojobs_kit: Kit, tmp_path: Path) -> None:
        """``Result.download`` into a folder holding part of a file finishes it: resumed at
        its end with RESUMABLE_DOWNLOADS, started again without."""
        from eojobs.bookkeeping import Bookkeeping
        from eojobs.connection import Connection
        from eojobs.job import Job, Result
        from eojobs.testing.streams import Watched

        job = eojobs_kit.finished()
        asset, full = _largest(eojobs_kit)
        cut = len(full) // 2
        target = tmp_path / "download"
        broken = Watched(eojobs_kit.backend, cut=cut)
        first = Result(Job(Connection(broken), job.info), [asset]).download(target,
                                                                            progress=False)
        assert not first.ok, "the suite's cut connection did not stop the first download"
        [dest] = [target / Result(job, [asset]).relative_path(asset)]
        assert Bookkeeping(target).part(dest).stat().st_size == cut
        watched = Watched(eojobs_kit.backend)
        second = Result(Job(Connection(watched), job.info), [asset]).download(target,
                                                                              progress=False)
        assert second.ok and second.done == [dest], f"the download did not finish: {second}"
        assert dest.read_bytes() == full
        resumable = Capability.RESUMABLE_DOWNLOADS in eojobs_kit.features
        assert watched.offsets == ([cut] if resumable else [0])

    def test_assets_open_from_several_threads_at_once(self, eojobs_kit: Kit) -> None:
        """Several streams of ``open_asset``, opened and read at once, each give their file."""
        assets = eojobs_kit.assets()[:4]
        wanted = {a.name: eojobs_kit.read(a) for a in assets}
        tasks = [a for a in assets for _ in range(2)]
        together = threading.Barrier(len(tasks))

        def read(asset: Any) -> tuple[str, bytes]:
            together.wait(timeout=30)
            return asset.name, eojobs_kit.read(asset)

        with ThreadPoolExecutor(len(tasks)) as pool:
            results = list(pool.map(read, tasks))
        for name, data in results:
            assert data == wanted[name], f"{name} read from several threads at once differs"

    def test_stac_results_are_none_or_a_stac_document(self, eojobs_kit: Kit) -> None:
        """``stac_results`` gives None or a STAC Item, ItemCollection or Collection."""
        document = eojobs_kit.backend.stac_results(eojobs_kit.finished().id)
        if document is None:
            pytest.skip(f"the {eojobs_kit.backend.name} backend keeps no STAC document of a "
                        "job's results (stac_results gives None)")
        assert isinstance(document, dict)
        assert document.get("type") in ("Feature", "FeatureCollection", "Collection"), (
            f"stac_results() gave a document of type {document.get('type')!r}")

    # --- optional features ----------------------------------------------------------------

    def test_logs_have_levels_and_timezone_aware_times(self, eojobs_kit: Kit) -> None:
        """With LOGS, a finished job's log lines are LogEntries, oldest first."""
        eojobs_kit.require(Capability.LOGS, "job logs")
        entries = eojobs_kit.backend.logs(eojobs_kit.finished().id)
        assert isinstance(entries, list)
        for entry in entries:
            check_log_entry(entry)
        times = [e.time for e in entries]
        assert times == sorted(times), "logs() are not oldest first"

    def test_credits_are_a_number(self, eojobs_kit: Kit) -> None:
        """With CREDITS, ``credits`` gives a number."""
        eojobs_kit.require(Capability.CREDITS, "credits")
        credits = eojobs_kit.backend.credits()
        assert isinstance(credits, (int, float)) and not isinstance(credits, bool), (
            f"credits() gave {credits!r}")

    def test_search_gives_scenes(self, eojobs_kit: Kit) -> None:
        """With SEARCH, a search of the subject's service and region gives Scenes."""
        from eojobs.scenes import Scene

        eojobs_kit.require(Capability.SEARCH, "searching for scenes")
        kit = eojobs_kit
        scenes = kit.conn.search(kit.service, kit.subject.region, dict(kit.subject.options))
        assert isinstance(scenes, list)
        for scene in scenes:
            assert isinstance(scene, Scene)
            check_time(scene.time, f"the time of scene {scene.id}")

    def test_a_job_gives_back_its_region(self, eojobs_kit: Kit) -> None:
        """With JOB_REGION, ``job_region`` gives back the region the job was created with."""
        from eojobs.region import Region

        eojobs_kit.require(Capability.JOB_REGION, "giving back a job's region")
        job = eojobs_kit.create()
        back = Region.parse(eojobs_kit.backend.job_region(job.id))
        asked = _region(eojobs_kit)
        assert back.area_km2 == pytest.approx(asked.area_km2, rel=0.01)
        for got, wanted in zip(back.bounds, asked.bounds, strict=True):
            assert got == pytest.approx(wanted, abs=1e-4)

    def test_every_state_read_is_sane(self, eojobs_kit: Kit) -> None:
        """Progress within 0..100 and timezone-aware times in every JobInfo and Execution
        read: of a created job, while one runs, in listings and in batches."""
        job = eojobs_kit.finished()
        created = eojobs_kit.create()
        infos = [*eojobs_kit.seen, eojobs_kit.backend.get_job(job.id),
                 *eojobs_kit.backend.list_jobs(),
                 *eojobs_kit.backend.get_jobs([job.id, created.id])]
        for info in infos:
            check_info(info)
        final = eojobs_kit.backend.get_job(job.id)
        assert final.status is JobStatus.SUCCEEDED


def _region(kit: Kit) -> Any:
    from eojobs.region import Region

    return Region.parse(kit.subject.region)


def _largest(kit: Kit) -> tuple[Any, bytes]:
    """The largest of the first assets of the finished job, and its bytes; skips if all are
    shorter than 2 bytes."""
    read = [(a, kit.read(a)) for a in kit.assets()[:6]]
    asset, data = max(read, key=lambda pair: len(pair[1]))
    if len(data) < 2:
        pytest.skip("every output file is shorter than 2 bytes: nothing to resume")
    return asset, data


def _two_jobs(kit: Kit) -> tuple[str, str]:
    """Two new jobs' ids, the first created before the second by the backend's clock."""
    older = kit.create("conformance older")
    created = older.info.created_at
    if created is not None and created.microsecond == 0:
        time.sleep(1.05)  # the platform's clock counts whole seconds
    newer = kit.create("conformance newer")
    return older.id, newer.id


def _job_calls(kit: Kit, job_id: str, strict: bool) -> list[str]:
    """The problems of every method that takes a job id, called with ``job_id``.

    ``strict``: the id is a plausible one the platform does not know, so only
    NotFound is right; otherwise InputError is right too.
    """
    backend = kit.backend
    calls: dict[str, Callable[[], Any]] = {
        "get_job": lambda: backend.get_job(job_id),
        "get_jobs": lambda: backend.get_jobs([job_id]),
        "start": lambda: backend.start(job_id),
        "delete": lambda: backend.delete(job_id),
        "list_assets": lambda: backend.list_assets(job_id),
    }
    optional: dict[str, Callable[[], Any]] = {
        "stop": lambda: backend.stop(job_id), "logs": lambda: backend.logs(job_id),
        "job_region": lambda: backend.job_region(job_id),
    }
    calls.update({m: c for m, c in optional.items() if METHOD_CAPABILITIES[m] in kit.features})
    problems = [_refused_cleanly(call, f"{method}({job_id[:40]!r})", strict=strict)
                for method, call in calls.items()]
    problems.append(_refused_cleanly(lambda: backend.stac_results(job_id),
                                     f"stac_results({job_id[:40]!r})", allow_none=True,
                                     strict=strict))
    return [p for p in problems if p]
