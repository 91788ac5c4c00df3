from __future__ import annotations

import os
from pathlib import Path

import pytest

import eojobs
from eojobs.config import home


def test_home_defaults_to_the_platform_user_dir(monkeypatch):
    monkeypatch.delenv("EOJOBS_HOME")
    assert home().name == "eojobs"


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32", "cygwin", "freebsd14"])
@pytest.mark.parametrize("env", [
    {},
    {"XDG_CONFIG_HOME": "/xdg/config", "APPDATA": r"C:\Users\me\AppData\Roaming"},
    {"XDG_CONFIG_HOME": "", "APPDATA": ""},
])
def test_home_is_the_folder_click_gave_earlier_versions(monkeypatch, tmp_path, platform, env):
    """Users keep their folder: the same path as click.get_app_dir("eojobs") on every platform."""
    import click.utils

    monkeypatch.delenv("EOJOBS_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    for name in ("XDG_CONFIG_HOME", "APPDATA", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.platform", platform)
    monkeypatch.setattr(click.utils, "WIN", platform.startswith("win"))
    assert str(home()) == str(Path(click.utils.get_app_dir("eojobs")))


def test_keyword_beats_environment_beats_profile(user_dir, monkeypatch):
    user_dir.mkdir(parents=True, exist_ok=True)
    (user_dir / "config.toml").write_text("[mock]\nspeed = 3\nmax_slice_km2 = 50\n")
    monkeypatch.setenv("EOJOBS_MOCK_SPEED", "7")
    with eojobs.connect("mock", max_slice_km2=80) as conn:
        assert conn.backend.settings.speed == 7
        assert conn.backend.settings.max_slice_km2 == 80
    monkeypatch.delenv("EOJOBS_MOCK_SPEED")
    with eojobs.connect("mock") as conn:
        assert conn.backend.settings.speed == 3
        assert conn.backend.settings.max_slice_km2 == 50


def test_the_backend_comes_from_eojobs_backend(monkeypatch):
    monkeypatch.setenv("EOJOBS_BACKEND", "fusion")
    monkeypatch.setenv("EOJOBS_FUSION_API_URL", "http://127.0.0.1:9")
    with eojobs.connect() as conn:
        assert conn.name == "fusion"
        assert conn.backend.settings.api_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(("kwargs", "profile", "message"), [
    ({"speed": 0}, None, "bad settings for backend mock: speed must be above 0, not 0.0"),
    ({"sped": 2}, None, "unknown setting sped for backend mock; its settings are: "
                        "initial_credits, max_region_vertices, max_slice_km2, speed"),
    ({}, "[mock\n", "config.toml is not valid TOML"),
    ({}, "mock = 3\n", "[mock] must be a table of settings"),
])
def test_bad_settings_are_clear_and_write_nothing(user_dir, kwargs, profile, message):
    if profile is not None:
        user_dir.mkdir(parents=True, exist_ok=True)
        (user_dir / "config.toml").write_text(profile)
    before = sorted(os.listdir(user_dir)) if user_dir.exists() else []
    with pytest.raises(eojobs.ConfigError) as info:
        eojobs.connect("mock", **kwargs)
    assert message in str(info.value)
    after = sorted(os.listdir(user_dir)) if user_dir.exists() else []
    assert after == before


def test_a_settings_class_that_is_not_itself_a_dataclass_is_named():
    from eojobs.backend import BackendSettings
    from eojobs.config import resolve_settings

    class Settings(BackendSettings):
        url: str = "x"

    with pytest.raises(eojobs.ConfigError, match="the settings class .*Settings must be "
                                                 r"decorated with @dataclass\(kw_only=True\)"):
        resolve_settings("p", Settings, {"url": "y"})


@pytest.mark.parametrize("backend", ["fusion", "openeo", "stac"])
@pytest.mark.parametrize(("name", "value", "message"), [
    ("connect_timeout", "inf", "connect_timeout: Input should be a finite number"),
    ("read_timeout", "nan", "read_timeout: Input should be a finite number"),
    ("max_answer_mib", "0.00001", "max_answer_mib: Input should be greater than or equal to 1"),
])
def test_every_http_backend_refuses_endless_waits_and_empty_bounds(monkeypatch, backend, name,
                                                                    value, message):
    monkeypatch.setenv(f"EOJOBS_{backend.upper()}_{name.upper()}", value)
    with pytest.raises(eojobs.ConfigError) as caught:
        eojobs.connect(backend, url="https://example.org") if backend != "fusion" \
            else eojobs.connect(backend)
    assert f"bad settings for backend {backend}: {message}" in str(caught.value)
