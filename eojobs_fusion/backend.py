"""The Fusion Platform backend: registered, but not yet implemented."""

from __future__ import annotations

from typing import IO, ClassVar, NoReturn

from eojobs.backend import Backend, JobRequest
from eojobs.errors import Unsupported
from eojobs.models import Asset, JobInfo, Service


class FusionBackend(Backend):
    """Placeholder for the Fusion Platform; every call says it is not implemented."""

    name: ClassVar[str] = "fusion"
    title: ClassVar[str] = "Fusion Platform (thefusionplatform.com)"
    implemented: ClassVar[bool] = False

    def _refuse(self) -> NoReturn:
        raise Unsupported("the fusion backend is not yet implemented")

    def list_services(self, search: str | None = None) -> list[Service]:
        """Not implemented."""
        self._refuse()

    def submit(self, request: JobRequest) -> JobInfo:
        """Not implemented."""
        self._refuse()

    def start(self, job_id: str) -> JobInfo:
        """Not implemented."""
        self._refuse()

    def delete(self, job_id: str) -> None:
        """Not implemented."""
        self._refuse()

    def get_job(self, job_id: str) -> JobInfo:
        """Not implemented."""
        self._refuse()

    def list_jobs(self) -> list[JobInfo]:
        """Not implemented."""
        self._refuse()

    def list_assets(self, job_id: str) -> list[Asset]:
        """Not implemented."""
        self._refuse()

    def open_asset(self, asset: Asset, offset: int = 0) -> IO[bytes]:
        """Not implemented."""
        self._refuse()
