"""The user directory and backend settings: keyword arguments, then environment, then profile."""

from __future__ import annotations

import dataclasses
import os
import sys
import tomllib
import warnings
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from eojobs.errors import ConfigError
from eojobs.shapes import validation_problems
from eojobs.suggest import did_you_mean

HOME_ENV = "EOJOBS_HOME"
#: The name of the user directory in the platform's folder for settings.
APP_NAME = "eojobs"
PROFILE_FILE = "config.toml"


def home() -> Path:
    """The eojobs user directory: ``EOJOBS_HOME``, else the platform's user config dir."""
    value = os.environ.get(HOME_ENV)
    if value:
        return Path(value).expanduser()
    return Path(user_config_dir())


def user_config_dir() -> str:
    """The platform's folder for eojobs's settings, by the rules of ``click.get_app_dir``.

    ``%APPDATA%\\eojobs`` on Windows (the home folder when APPDATA is unset),
    ``~/Library/Application Support/eojobs`` on macOS, else
    ``$XDG_CONFIG_HOME/eojobs`` (``~/.config/eojobs``). Earlier versions asked
    click for it, so a user's folder stays where it was, without the core
    importing click.
    """
    if sys.platform.startswith("win"):
        return os.path.join(os.environ.get("APPDATA", os.path.expanduser("~")), APP_NAME)
    if sys.platform == "darwin":
        return os.path.join(os.path.expanduser("~/Library/Application Support"), APP_NAME)
    return os.path.join(os.environ.get("XDG_CONFIG_HOME", os.path.expanduser("~/.config")),
                        APP_NAME)


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


class ConfigWarning(UserWarning):
    """Something in ``config.toml`` is ignored, such as the table of a backend not installed."""


def check_profile(backends: Collection[str]) -> None:
    """Refuse a ``config.toml`` with a top-level key that is no known setting.

    ``backends`` are the installed backends' names; the table of another name
    is ignored with a ConfigWarning, and each table's own keys are checked
    against its backend's settings when that backend is used.
    """
    path = home() / PROFILE_FILE
    for key, value in read_profile().items():
        if isinstance(value, dict):
            if key not in backends:  # a plugin left out or uninstalled must not stop the rest
                warnings.warn(ConfigWarning(
                    f"{path}: [{key}] is not an installed backend{did_you_mean(key, backends)}"
                    f"; it is ignored (installed backends: "
                    f"{', '.join(sorted(backends)) or 'none'})"), stacklevel=2)
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


def setting_fields(model: type[Any]) -> dict[str, Any]:
    """The settings of a settings model and their annotations, by name.

    ``model`` is a dataclass (a :class:`~eojobs.backend.BackendSettings`
    subclass) or, as older plugins have it, a pydantic model.
    """
    if dataclasses.is_dataclass(model) and "__dataclass_fields__" not in vars(model):
        raise ConfigError(f"the settings class {model.__qualname__} must be decorated with "
                          "@dataclass(kw_only=True), as BackendSettings is")
    if dataclasses.is_dataclass(model):
        return {f.name: f.type for f in dataclasses.fields(model) if f.init}
    return {name: info.annotation for name, info in model.model_fields.items()}


def resolve_settings(backend: str, model: type[Any], given: Mapping[str, Any]) -> Any:
    """Merge profile, environment and keyword settings (highest last) and validate them.

    With nothing given anywhere, a dataclass model is made from its defaults
    without importing pydantic.
    """
    fields = setting_fields(model)
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
    if not merged and dataclasses.is_dataclass(model):
        try:
            return model()
        except ValueError as exc:
            raise ConfigError(f"bad default settings of backend {backend}: {exc}") from None
    from pydantic import TypeAdapter, ValidationError

    try:
        if hasattr(model, "model_validate"):
            return model.model_validate(merged)
        return TypeAdapter(model).validate_python(merged)
    except ValidationError as exc:
        problems = validation_problems(exc)
        named = [str(e["loc"][0]) for e in exc.errors() if e["loc"]] or list(merged)
        sources = ", ".join(env_var(backend, n) for n in dict.fromkeys(named))
        raise ConfigError(
            f"bad settings for backend {backend}: {'; '.join(problems)} (they come from "
            f"connect(), {sources or 'the environment'} or {home() / PROFILE_FILE})"
        ) from None
