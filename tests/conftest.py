from __future__ import annotations

import os
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
