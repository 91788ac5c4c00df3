"""The settings every HTTP backend takes for its traffic, and the HttpPolicy they make.

A backend's settings subclass :class:`HttpSettings` (as a pydantic
dataclass), so each HTTP backend offers the same timeouts, retries and
bounds under the same names. Infinite and NaN values are refused: a wait
without end is what these settings exist to prevent.
"""

from __future__ import annotations

from pydantic import Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

from eojobs.backend import BackendSettings
from eojobs.http import HttpPolicy


@pydantic_dataclass(kw_only=True, config={"extra": "forbid"})
class HttpSettings(BackendSettings):
    """Timeouts, retries and bounds of a backend's HTTP requests."""

    connect_timeout: float = Field(default=10.0, gt=0, allow_inf_nan=False,
                                   description="Seconds to connect.")
    read_timeout: float = Field(default=60.0, gt=0, allow_inf_nan=False,
                                description="Seconds to wait for data.")
    request_timeout: float = Field(
        default=120.0, gt=0, allow_inf_nan=False,
        description="Seconds one API request may take, answer included.")
    retries: int = Field(default=5, ge=0, description="Retries of a failed request.")
    retry_seconds: float = Field(
        default=120.0, gt=0, allow_inf_nan=False,
        description="Seconds one request's retries may take in all.")
    max_answer_mib: float = Field(
        default=64.0, ge=1, allow_inf_nan=False,
        description="The largest API answer read into memory, in MiB.")
    backoff: float = Field(default=0.5, ge=0, allow_inf_nan=False,
                           description="First retry delay, doubling after.")

    def policy(self) -> HttpPolicy:
        """The HttpPolicy these settings make."""
        return HttpPolicy(connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
                          request_timeout=self.request_timeout, retries=self.retries,
                          retry_seconds=self.retry_seconds, backoff=self.backoff,
                          max_answer_bytes=int(self.max_answer_mib * (1 << 20)))
