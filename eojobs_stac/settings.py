"""Settings of the STAC backend: one API by URL, or named providers from config.toml.

::

    [stac]
    provider = "earth-search"          # the default one; or -b stac:NAME

    [stac.providers.earth-search]
    url = "https://earth-search.aws.element84.com/v1"

    [stac.providers.archive]
    url = "https://stac.example.org/api"
    headers = { Authorization = "Bearer ..." }
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic.dataclasses import dataclass as pydantic_dataclass

from eojobs.errors import ConfigError
from eojobs.http import checked_http_url
from eojobs.http_settings import HttpSettings
from eojobs.redact import remember_secret
from eojobs.suggest import did_you_mean

EXAMPLE_URL = "https://earth-search.aws.element84.com/v1"


def _headers(value: Any) -> Any:
    """Headers given as JSON text (an environment variable) become a mapping."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError('headers are a JSON object such as {"X-Api-Key": "KEY"}') \
                from None
    return value


@pydantic_dataclass(kw_only=True, config={"extra": "forbid"})
class Provider:
    """One named STAC API: ``[stac.providers.NAME]`` in config.toml."""

    url: str = Field(description="URL of the STAC API's landing page.")
    headers: dict[str, SecretStr] = Field(default_factory=dict,
                                          description="Headers sent to the API's origin only.")
    token: SecretStr | None = Field(default=None, description="A bearer token for the API.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return checked_http_url(value, EXAMPLE_URL)

    _plain_headers = field_validator("headers", mode="before")(_headers)


@pydantic_dataclass(kw_only=True, config={"extra": "forbid"})
class StacSettings(HttpSettings):
    """Settings of the STAC backend (``EOJOBS_STAC_<NAME>``)."""

    url: str | None = Field(default=None, description="URL of the STAC API's landing page.")
    headers: dict[str, SecretStr] = Field(default_factory=dict,
                                          description="Headers sent to that URL's origin only.")
    token: SecretStr | None = Field(default=None, description="A bearer token for the API.")
    provider: str | None = Field(default=None, description="A provider named in config.toml.")
    providers: dict[str, Provider] = Field(default_factory=dict,
                                           description="Named APIs: [stac.providers.NAME].")
    page_size: int = Field(default=100, ge=1, le=10_000,
                           description="Items asked for in one page of a search.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return None if value is None else checked_http_url(value, EXAMPLE_URL)

    _plain_headers = field_validator("headers", mode="before")(_headers)


@dataclass(frozen=True)
class Endpoint:
    """The API a connection talks to: its URL and its secret headers."""

    url: str
    headers: dict[str, str]


def endpoint(settings: StacSettings) -> Endpoint:
    """The API the settings choose: the named provider if one is, else ``url``.

    Every header value and token is remembered as a secret, so no message shows it.
    """
    if settings.provider:
        found = settings.providers.get(settings.provider)
        if found is None:
            names = sorted(settings.providers)
            raise ConfigError(
                f"no STAC provider named {settings.provider!r}"
                f"{did_you_mean(settings.provider, names)}; providers in config.toml: "
                f"{', '.join(names) or 'none'} (add [stac.providers.{settings.provider}] "
                "with a url)")
        url, headers, token = found.url, found.headers, found.token
    elif settings.url:
        url, headers, token = settings.url, settings.headers, settings.token
    else:
        raise ConfigError("stac needs the URL of a STAC API: set EOJOBS_STAC_URL, give "
                          "url=... to eojobs.connect, or name a provider of config.toml "
                          "with -b stac:NAME")
    plain = {str(k): v.get_secret_value() for k, v in headers.items()}
    if token is not None:
        plain["Authorization"] = f"Bearer {token.get_secret_value()}"
    for value in plain.values():
        remember_secret(value)
        remember_secret(value.split(" ", 1)[-1])
    return Endpoint(url=url.rstrip("/") or url, headers=plain)
