from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import eojobs

DATA = Path(__file__).parent / "data"
GLASGOW = DATA / "glasgow.geojson"
FAST = "100000"


@pytest.fixture(autouse=True)
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty EOJOBS_HOME and a fast mock clock."""
    for key in list(os.environ):
        if key.startswith("EOJOBS_"):
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("EOJOBS_HOME", str(home))
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", FAST)
    return home


@pytest.fixture
def conn():
    with eojobs.connect("mock") as connection:
        yield connection


@pytest.fixture
def glasgow() -> Path:
    return GLASGOW


@pytest.fixture
def mock_server(user_dir: Path):
    """`eojobs mock serve` on a free 127.0.0.1 port, in-process, on this test's EOJOBS_HOME.

    Yields the running server: ``.url``, ``.email`` and ``.password`` (the demo
    account), and ``.state`` (the server's view of the mock platform).
    """
    from eojobs_mock.server.runner import start_server

    server = start_server(user_dir)
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture
def fusion_env(mock_server, monkeypatch):
    """`-b fusion` talks to `eojobs mock serve` on 127.0.0.1 with the demo account."""
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", mock_server.url)
    monkeypatch.setenv("EOJOBS_FUSION_EMAIL", mock_server.email)
    monkeypatch.setenv("EOJOBS_FUSION_PASSWORD", mock_server.password)
    return mock_server


@contextmanager
def registered(*backend_classes: type) -> Iterator[None]:
    """The backends registered as a plugin for the block, as a third party would."""
    class Plugin:
        @eojobs.hookimpl
        def register_backends(self, register) -> None:
            for backend_class in backend_classes:
                register(backend_class)

    with plugins_with((f"test-{'-'.join(c.name for c in backend_classes)}", Plugin())):
        yield


@contextmanager
def plugins_with(*extra: tuple[str, object]) -> Iterator[None]:
    """The installed plugins and ``extra`` ones (name, plugin), in a host of the block's own."""
    from eojobs.plugins import PluginHost, using

    with using(PluginHost(extra)):
        yield


#: Job ids that share their first 4 characters, for prefix tests (see chosen_ids).
TWINS = [f"abcd{n:04d}-0000-4000-8000-000000000000" for n in range(7)]


@pytest.fixture
def chosen_ids(monkeypatch):
    """Make the mock platform (in-process or behind the server) give new jobs chosen ids."""
    from types import SimpleNamespace

    from eojobs_mock.engine import platform as engine_platform

    def use(ids: list[str]) -> None:
        given = iter(ids)
        monkeypatch.setattr(engine_platform, "uuid", SimpleNamespace(uuid4=lambda: next(given)))

    return use


@pytest.fixture
def workdir(tmp_path: Path, user_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder holding the repository's test data, as a reader's checkout would:
    where the README's and the docs' examples are run, offline."""
    import shutil
    import sys

    root = Path(__file__).parent.parent
    shutil.copytree(root / "tests" / "data", tmp_path / "work" / "tests" / "data")
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "2000")
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "work"
