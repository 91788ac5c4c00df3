"""The exception hierarchy: every failure a user can cause or meet is an EOJobsError."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class EOJobsError(Exception):
    """Base of every eojobs error; the message says what happened and what to do next."""

    #: Exit code the CLI uses: 2 for bad input or usage, 1 for anything else.
    exit_code = 1


class InputError(EOJobsError):
    """The caller gave something invalid; nothing was sent to a backend."""

    exit_code = 2


class ConfigError(InputError):
    """A setting, profile or backend name is wrong or missing."""


class RegionError(InputError):
    """A region of interest could not be read or is not a valid polygon in lon/lat."""


class OptionError(InputError):
    """A job option is unknown, missing or of the wrong type."""


class JobFileError(InputError):
    """A job file could not be read, or says something a job cannot be made of."""


class NotFound(EOJobsError):
    """A service, job or other object does not exist on the backend."""

    exit_code = 2


class AmbiguousName(InputError):
    """A name prefix matches more than one object."""


class AuthenticationError(EOJobsError):
    """The backend refused the credentials."""


class InsufficientCredits(EOJobsError):
    """The account has too few credits for what was asked."""


class Unsupported(EOJobsError):
    """The backend does not have the feature asked for."""

    exit_code = 2


class BackendError(EOJobsError):
    """The backend failed; ``transient`` says whether trying again may help."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class RestartDownload(BackendError):
    """A backend cannot continue a file from an offset; the engine starts it again."""


class NotReady(EOJobsError):
    """An output is not ready to download yet; the report lists it as scheduled."""


class JobFailed(EOJobsError):
    """A job ended in failure; carries the job and its error log lines."""

    def __init__(self, message: str, *, job: Any = None, logs: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.job = job
        self.logs = list(logs)


class WaitTimeout(EOJobsError):
    """A wait ran past its timeout; the jobs keep running.

    ``job_ids`` are the jobs that had not finished; ``job`` is the last state
    of the job when one job was waited for.
    """

    def __init__(self, message: str, *, job: Any = None, job_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.job = job
        self.job_ids = list(job_ids) or ([job.id] if job is not None else [])


class NotStarted(EOJobsError):
    """A job was asked for something that needs it started (a wait); ``job_ids`` says which."""

    def __init__(self, message: str, *, job_ids: Sequence[str]) -> None:
        super().__init__(message)
        self.job_ids = list(job_ids)


class NoResults(EOJobsError):
    """A job has no output files; ``status`` is the job's status (a JobStatus value) then."""

    def __init__(self, message: str, *, job_id: str, status: str) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.status = status


class DownloadError(EOJobsError):
    """One or more files could not be downloaded; ``report`` says which and why."""

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report
