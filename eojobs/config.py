"""The user directory and backend settings: keyword arguments, then environment, then profile."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import tomllib
from pydantic import ValidationError

from eojobs.backend import BackendSettings
from eojobs.errors import ConfigError
from eojobs.suggest import did_you_mean

HOME_ENV = "EOJOBS_HOME"
PROFILE_FILE = "config.toml"


def home() -> Path:
    """The eojobs user directory: ``EOJOBS_HOME``, else the platform's user config dir."""
    value = os.environ.get(HOME_ENV)
    if value:
        return Path(value).expanduser()
    import click

    return Path(click.get_app_dir("eojobs"))


def ensure_home() -> Path:
    """The user directory, created (mode 0700) if missing."""
    path = home()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


#: The top-level keys of ``config.toml`` that are not a backend's table.
TOP_LEVEL_KEYS = ("backend",)


def read_profile() -> dict[str, Any]:
    """The whole of ``config.toml`` in the user directory, or ``{}`` when there is none."""
    path = home() / PROFILE_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}; check {HOME_ENV}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}; fix or remove it") from None


def profile(backend: str) -> dict[str, Any]:
    """The ``[backend]`` table of ``config.toml`` in the user directory, or ``{}``."""
    table = read_profile().get(backend, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{home() / PROFILE_FILE}: [{backend}] must be a table of settings")
    return table


def check_profile(backends: Collection[str]) -> None:
    """Refuse a ``config.toml`` with a key that is neither a known setting nor a backend's table.

    ``backends`` are the installed backends' names; each table's own keys are
    checked against its backend's settings when that backend is used.
    """
    path = home() / PROFILE_FILE
    for key, value in read_profile().items():
        if isinstance(value, dict):
            if key not in backends:
                raise ConfigError(f"{path}: [{key}] is not an installed backend"
                                  f"{did_you_mean(key, backends)}; installed backends: "
                                  f"{', '.join(sorted(backends)) or 'none'}")
        elif key in backends:
            raise ConfigError(f"{path}: [{key}] must be a table of settings")
        elif key not in TOP_LEVEL_KEYS:
            raise ConfigError(f"{path}: unknown setting {key!r}"
                              f"{did_you_mean(key, TOP_LEVEL_KEYS)}; the top-level settings "
                              f"are: {', '.join(TOP_LEVEL_KEYS)}, and one [table] per backend")


def default_backend(fallback: str) -> str:
    """The backend to use when none is named.

    ``EOJOBS_BACKEND`` first, then ``backend`` in config.toml, else ``fallback``.
    """
    name = os.environ.get("EOJOBS_BACKEND") or read_profile().get("backend") or fallback
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{home() / PROFILE_FILE}: 'backend' must be a backend name, "
                          f"such as backend = \"{fallback}\"")
    return name.strip()


def env_var(backend: str, setting: str) -> str:
    """The environment variable that holds one setting, e.g. ``EOJOBS_FUSION_PASSWORD``."""
    return f"EOJOBS_{backend.upper()}_{setting.upper()}"


def resolve_settings(
    backend: str, model: type[BackendSettings], given: Mapping[str, Any]
) -> BackendSettings:
    """Merge profile, environment and keyword settings (highest last) and validate them."""
    fields = model.model_fields
    unknown = sorted(set(given) - set(fields))
    if unknown:
        valid = ", ".join(sorted(fields)) or "none"
        raise ConfigError(
            f"unknown setting {', '.join(unknown)} for backend {backend}; its settings are: {valid}"
        )
    merged: dict[str, Any] = {}
    for key, value in profile(backend).items():
        if key not in fields:
            valid = ", ".join(sorted(fields)) or "none"
            raise ConfigError(f"{home() / PROFILE_FILE}: unknown setting {key!r} in [{backend}]"
                              f"{did_you_mean(key, fields)}; its settings are: {valid}")
        merged[key] = value
    for key in fields:
        value = os.environ.get(env_var(backend, key))
        if value is not None and value != "":
            merged[key] = value
    merged.update({k: v for k, v in given.items() if v is not None})
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        problems, names = [], []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            names.append(str(error["loc"][0]) if error["loc"] else "")
            problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        sources = ", ".join(f"{env_var(backend, n)}" for n in dict.fromkeys(names) if n)
        raise ConfigError(
            f"bad settings for backend {backend}: {'; '.join(problems)} (they come from "
            f"connect(), {sources or 'the environment'} or {home() / PROFILE_FILE})"
        ) from None
