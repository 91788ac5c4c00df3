"""Kit: the suite's hands on the subject — jobs it makes, runs and cleans up, and bytes it reads.

A test of :class:`~eojobs.testing.Conformance` gets one through the
``eojobs_kit`` fixture; every job it creates is deleted when the test ends.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from eojobs.errors import EOJobsError, NotFound
from eojobs.models import Capability, JobInfo, JobStatus
from eojobs.testing.checks import check_info
from eojobs.testing.subject import Subject

if TYPE_CHECKING:
    from eojobs.backend import Backend
    from eojobs.connection import Connection
    from eojobs.job import Job
    from eojobs.models import Asset, Service


class Kit:
    """The subject under test, with helpers to make jobs on it and to read their files."""

    def __init__(self, subject: Subject) -> None:
        if not isinstance(subject, Subject):
            pytest.fail(f"the eojobs_subject fixture gave {subject!r}, not an "
                        "eojobs.testing.Subject", pytrace=False)
        self.subject = subject
        #: Every job state read while running jobs, for the checks of each.
        self.seen: list[JobInfo] = []
        self._jobs: list[str] = []
        self._service: Service | None = None
        self._finished: Job | None = None

    @property
    def conn(self) -> Connection:
        """The subject's connection."""
        return self.subject.connection

    @property
    def backend(self) -> Backend[Any]:
        """The backend under test."""
        return self.subject.connection.backend

    @property
    def features(self) -> frozenset[Capability]:
        """What the back-end says it can do: its connection's capabilities."""
        return self.conn.capabilities

    @property
    def service(self) -> Service:
        """The service of the suite's jobs (the first listed when the subject names none)."""
        if self._service is None:
            wanted = self.subject.service
            if wanted is None:
                listed = self.backend.list_services()
                assert listed, f"the {self.backend.name} backend lists no services"
                wanted = listed[0]
            self._service = self.conn.service(wanted)
        return self._service

    def require(self, capability: Capability, what: str) -> None:
        """Skip the test unless the backend offers ``capability``."""
        if capability not in self.features:
            pytest.skip(f"the {self.backend.name} backend does not offer {what} "
                        f"({capability.value})")

    def create(self, name: str = "eojobs conformance", **kwargs: Any) -> Job:
        """A new job of the subject's service, options and region, not started."""
        job = self.conn.create_job(self.service, self.subject.region,
                                   options=dict(self.subject.options), name=name, **kwargs)
        self._jobs.append(job.id)
        return job

    def forget(self, job_id: str) -> None:
        """Leave ``job_id`` alone at the end: the test deleted it itself."""
        if job_id in self._jobs:
            self._jobs.remove(job_id)

    def wait(self, job_id: str) -> JobInfo:
        """Poll the job until it finishes, checking every state read; its last state."""
        interval = self.subject.poll_interval or self.backend.poll_interval[0]
        deadline = time.monotonic() + self.subject.timeout
        while True:
            info = self.backend.get_job(job_id)
            check_info(info, job_id)
            self.seen.append(info)
            if info.status.finished:
                return info
            if time.monotonic() > deadline:
                pytest.fail(f"job {job_id} did not finish within {self.subject.timeout:g} s "
                            f"(Subject.timeout); it is {info.status.value} at "
                            f"{info.progress:g}%", pytrace=False)
            time.sleep(interval)

    def run(self, name: str = "eojobs conformance") -> Job:
        """A new job, started and waited for; the test fails unless it succeeded."""
        job = self.create(name)
        started = self.backend.start(job.id)
        check_info(started, job.id)
        self.seen.append(started)
        job.info = self.wait(job.id)
        if job.status is not JobStatus.SUCCEEDED:
            pytest.fail(f"job {job.id} of {self.service.name} with options "
                        f"{dict(self.subject.options)!r} {job.status.value}: {job.info.error}; "
                        "the subject must name a service and options that succeed",
                        pytrace=False)
        return job

    def finished(self) -> Job:
        """A job that ran to success, the same one for the whole test."""
        if self._finished is None:
            self._finished = self.run()
        return self._finished

    def assets(self) -> list[Asset]:
        """The output files of :meth:`finished`'s job; the test fails if there are none."""
        job = self.finished()
        assets = self.backend.list_assets(job.id)
        assert assets, (f"job {job.id} succeeded but lists no assets; the subject must name a "
                        "service and options that give output files")
        return assets

    def read(self, asset: Asset, offset: int = 0) -> bytes:
        """The bytes of ``asset`` from ``offset``, read through ``open_asset``."""
        with self.backend.open_asset(asset, offset) as stream:
            chunks = []
            while True:
                chunk = stream.read(1 << 16)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(bytes(chunk))

    def unknown_id(self) -> str:
        """The id of a job that existed and was deleted: one the backend surely knows not."""
        job = self.create("eojobs conformance (deleted)")
        self.backend.delete(job.id)
        self.forget(job.id)
        return job.id

    def close(self) -> None:
        """Delete every job the test created and left."""
        for job_id in self._jobs:
            try:
                self.backend.delete(job_id)
            except (NotFound, EOJobsError):
                pass
        self._jobs.clear()
