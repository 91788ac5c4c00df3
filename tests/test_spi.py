"""The SPI's rules: features from methods, refusal at registration, the core's guarantees."""

from __future__ import annotations

import io
import warnings

import pytest

import eojobs
from eojobs.backend import METHOD_CAPABILITIES, Backend, check_backend, stream_etag
from eojobs.models import Capability, LogLevel
from eojobs.plugins import PluginWarning, backend_classes
from eojobs_mock.backend import MockBackend, MockSettings
from tests.conftest import GLASGOW, registered


class Minimal(Backend[MockSettings]):
    """The abstract methods only, over the mock: a backend with no optional feature."""

    name = "minimal"
    title = "The abstract methods only"
    settings_model = MockSettings

    def __init__(self, settings: MockSettings) -> None:
        super().__init__(settings)
        self.inner = MockBackend(settings)

    def list_services(self, search=None):
        return self.inner.list_services(search)

    def submit(self, request):
        return self.inner.submit(request)

    def start(self, job_id):
        return self.inner.start(job_id)

    def delete(self, job_id):
        self.inner.delete(job_id)

    def get_job(self, job_id):
        return self.inner.get_job(job_id)

    def list_jobs(self):
        return self.inner.list_jobs()

    def list_assets(self, job_id):
        return self.inner.list_assets(job_id)

    def open_asset(self, asset, offset=0):
        return self.inner.open_asset(asset, offset)


def test_a_backend_has_the_features_of_the_methods_it_overrides():
    assert Minimal.features() == frozenset()
    assert check_backend(Minimal) == []
    everything = MockBackend.features()
    assert {Capability.STOP, Capability.LOGS, Capability.CREDITS, Capability.JOB_REGION,
            Capability.SCHEDULES, Capability.PRICE} <= everything
    assert Capability.BATCH_STATUS not in everything and Capability.LOGIN not in everything


def test_every_missing_feature_is_a_clear_unsupported_error(user_dir):
    backend = Minimal(MockSettings())
    calls = {"stop": ("job",), "logs": ("job",), "credits": (), "search": (None,),
             "job_region": ("job",)}
    assert set(calls) | {"get_jobs", "login"} == set(METHOD_CAPABILITIES)
    for method, args in calls.items():
        with pytest.raises(eojobs.Unsupported, match=r"^the minimal backend does not support "):
            getattr(backend, method)(*args)
    with pytest.raises(eojobs.Unsupported, match="^the minimal backend needs no login$"):
        backend.login()
    backend.close()


class Boasting(Minimal):
    """Declares stopping and logs, but has neither method."""

    name = "boasting"
    capabilities = frozenset({Capability.STOP, Capability.LOGS, Capability.PRICE})


class Unfinished(Backend[MockSettings]):
    """Misses abstract methods and names a login setting its settings do not have."""

    name = "unfinished"
    title = "Unfinished"
    settings_model = MockSettings
    login_settings = ("password",)
    poll_interval = (5.0, 1.0)

    def list_services(self, search=None):
        return []


def test_a_backend_that_claims_what_it_lacks_is_refused_with_every_reason():
    assert check_backend(Boasting) == [
        "it declares 'stop' but does not implement stop()",
        "it declares 'logs' but does not implement logs()",
    ]
    problems = check_backend(Unfinished)
    assert problems[0] == ("it does not implement delete(), get_job(), list_assets(), "
                           "list_jobs(), open_asset(), start(), submit()")
    assert "it names a setting 'password' that MockSettings has not" in problems
    assert "its poll_interval (5.0, 1.0) is not (fastest, slowest) seconds above 0" in problems
    assert check_backend(object) == ["<class 'object'> is not a subclass of "
                                     "eojobs.backend.Backend"]


def test_a_refused_backend_is_skipped_at_registration_and_the_others_stay(user_dir):
    with registered(Boasting, Minimal), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = backend_classes()
    assert "boasting" not in found and {"minimal", "mock"} <= set(found)
    [warning] = [w for w in caught if issubclass(w.category, PluginWarning)]
    assert str(warning.message) == (
        "the boasting backend is refused: it declares 'stop' but does not implement stop(); "
        "it declares 'logs' but does not implement logs(); it is skipped")


def test_a_lazily_registered_backend_is_checked_when_it_is_loaded(tmp_path, monkeypatch):
    from eojobs.plugins import PluginHost, using

    (tmp_path / "boastful_plugin.py").write_text(
        "from tests.test_spi import Boasting\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    class Plugin:
        @eojobs.hookimpl
        def register_backends(self, register):
            register("boasting", "boastful_plugin:Boasting", "Boasts")

    with using(PluginHost([("lazy-boast", Plugin())])):
        with pytest.raises(eojobs.ConfigError, match="^the boasting backend is refused: it "
                           "declares 'stop' but does not implement stop()"):
            eojobs.connect("boasting")


class FailsSecond(MockBackend):
    """Creates the first job of a batch, fails on the second."""

    name = "failssecond"
    undeletable = False
    #: What the second submit raises: a new exception each time.
    failure = (eojobs.InsufficientCredits, "not enough credits for the second")

    def submit(self, request):
        if "second" in request.name:
            kind, text = self.failure
            raise kind(text)
        return super().submit(request)

    def delete(self, job_id):
        if self.undeletable:
            raise eojobs.BackendError("the platform is down")
        super().delete(job_id)


@pytest.mark.parametrize("undeletable", [False, True])
def test_create_jobs_leaves_no_job_behind_unnoticed(user_dir, undeletable, monkeypatch):
    monkeypatch.setattr(FailsSecond, "undeletable", undeletable)
    regions = [GLASGOW, GLASGOW]
    with registered(FailsSecond), eojobs.connect("failssecond") as conn:
        monkeypatch.setattr(
            "eojobs.connection.JobRequest",
            _naming_requests(["first", "second"]))
        with pytest.raises(eojobs.InsufficientCredits) as info:
            conn.create_jobs("Elevation", regions)
        left = [j.id for j in conn.jobs()]
    if undeletable:
        assert len(left) == 1
        assert str(info.value) == (f"not enough credits for the second; 1 job(s) created "
                                   f"before it could not be deleted and are left on "
                                   f"failssecond: {left[0]}")
    else:
        assert left == []
        assert str(info.value) == ("not enough credits for the second; the 1 job(s) created "
                                   "before it were deleted")


def test_create_jobs_cleans_up_after_a_failure_that_is_not_eojobs_own(user_dir, monkeypatch):
    monkeypatch.setattr(FailsSecond, "failure", (RuntimeError, "the driver crashed"))
    with registered(FailsSecond), eojobs.connect("failssecond") as conn:
        monkeypatch.setattr("eojobs.connection.JobRequest", _naming_requests(["a", "second"]))
        with pytest.raises(RuntimeError) as info:
            conn.create_jobs("Elevation", [GLASGOW, GLASGOW])
        assert conn.jobs() == []
    assert str(info.value) == "the driver crashed; the 1 job(s) created before it were deleted"


@pytest.mark.parametrize("odd", [
    {"poll_interval": 5}, {"poll_interval": (1.0,)}, {"capabilities": None},
    {"login_settings": None}, {"login_settings": "password"},
])
def test_an_odd_class_attribute_is_a_reason_to_refuse_not_a_crash(odd, user_dir):
    broken = type("Broken", (Minimal,), {"name": "broken", **odd})
    problems = check_backend(broken)
    assert len(problems) == 1 and repr(next(iter(odd.values()))) in problems[0]
    with registered(broken), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert "broken" not in backend_classes()
    assert any("the broken backend is refused" in str(w.message) for w in caught)


def _naming_requests(names: list[str]):
    """JobRequest whose successive instances are named ``names`` in turn."""
    from eojobs.backend import JobRequest

    given = iter(names)

    def make(**fields):
        return JobRequest(**{**fields, "name": next(given)})

    return make


class Unresumable(MockBackend):
    """Serves files, but does not say it can start one at an offset; the first try of
    elevation.tif breaks."""

    name = "unresumable"
    capabilities = MockBackend.capabilities - {Capability.RESUMABLE_DOWNLOADS}
    offsets: list[int] = []

    def open_asset(self, asset, offset=0):
        stream = super().open_asset(asset, offset)
        if asset.name != "elevation.tif":
            return stream
        Unresumable.offsets.append(offset)
        return _Breaking(stream) if len(Unresumable.offsets) == 1 else stream


class _Breaking(io.RawIOBase):
    """A stream that gives 1000 bytes, then fails as a dropped connection does."""

    def __init__(self, inner) -> None:
        self.inner, self.given = inner, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.given >= 1000:
            raise eojobs.BackendError("connection reset", transient=True)
        data = self.inner.read(min(len(buffer), 1000 - self.given))
        buffer[:len(data)] = data
        self.given += len(data)
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def test_a_backend_that_cannot_resume_is_only_asked_for_whole_files(user_dir, tmp_path):
    with registered(Unresumable), eojobs.connect("unresumable") as conn:
        result = conn.create_job("Elevation", GLASGOW).start_and_wait(progress=False).results()
        Unresumable.offsets = []
        tif = next(a for a in result.assets if a.name == "elevation.tif")
        report = result.download(tmp_path / "out", progress=False)
    assert report.failed == []
    # One broken try, then the file again from its start: never an offset it cannot honour.
    assert Unresumable.offsets == [0, 0]
    path = tmp_path / "out" / result.relative_path(tif)
    assert path.stat().st_size == tif.size


def test_log_levels_are_an_enum_and_a_wrong_level_is_named(conn):
    job = conn.create_job("Elevation", GLASGOW).start_and_wait(progress=False)
    entries = job.logs()
    assert entries and all(isinstance(e.level, LogLevel) for e in entries)
    assert all(e.level is LogLevel.INFO for e in job.logs("INFO"))
    with pytest.raises(eojobs.InputError, match=r"^no log level 'loud'; levels: debug, info, "
                       r"warning, error$"):
        job.logs("loud")


def test_an_etag_is_read_only_from_a_stream_that_has_one():
    class Tagged(io.BytesIO):
        etag = '"v1"'

    class Untagged(io.BytesIO):
        etag = None

    assert stream_etag(Tagged(b"x")) == '"v1"'
    assert stream_etag(Untagged(b"x")) is None
    assert stream_etag(io.BytesIO(b"x")) is None


def test_the_job_s_backend_is_the_connection_s(conn):
    job = conn.create_job("Elevation", GLASGOW)
    assert job.backend is conn.backend and isinstance(job.backend, MockBackend)
    assert isinstance(job.backend.settings, MockSettings)
