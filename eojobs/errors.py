"""The exception hierarchy: every failure a user can cause or meet is an EOJobsError.

A message that suggests a change the caller can make is a :class:`Message`
holding each change as a :class:`Fix`: as text it reads in Python terms
(``pass repair=True``), and a front end such as the CLI words the same fixes
its own way (``pass --repair``) with :meth:`Message.render`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fix:
    """A change that gets past an error, named as the Python API names it.

    ``Fix("repair", True)`` is the keyword argument ``repair=True``; a Fix
    without a value names a function or method to use, as
    ``Fix("Region.parse_each")`` does. The CLI looks the name up to show its
    own flag or command instead.
    """

    name: str
    value: Any = None

    def __str__(self) -> str:
        return self.name if self.value is None else f"{self.name}={self.value!r}"


class Message(str):
    """Text that suggests fixes: as a str, it names each :class:`Fix` in Python terms.

    It is made of text and fixes, ``Message("pass ", Fix("repair", True), " to
    close it")``; a part that is a Message itself adds its own parts. It is a
    str wherever one is taken (an exception's message, a download report's
    reason), and :meth:`render` words the fixes otherwise.
    """

    parts: tuple[str | Fix, ...]

    def __new__(cls, *parts: str | Fix) -> Message:
        """The message ``parts`` make, text and fixes in order."""
        flat: list[str | Fix] = []
        for part in parts:
            flat.extend(part.parts if isinstance(part, Message) else [part])
        message = super().__new__(cls, "".join(str(part) for part in flat))
        message.parts = tuple(flat)
        return message

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """The fixes the message suggests, in order."""
        return tuple(part for part in self.parts if isinstance(part, Fix))

    def render(self, word: Callable[[Fix], str]) -> str:
        """The text with each fix as ``word`` gives it."""
        return "".join(word(part) if isinstance(part, Fix) else part for part in self.parts)


class EOJobsError(Exception):
    """Base of every eojobs error; the message says what happened and what to do next."""

    #: Exit code the CLI uses: 2 for bad input or usage, 1 for anything else.
    exit_code = 1

    @property
    def fixes(self) -> tuple[Fix, ...]:
        """The changes the message suggests, for a front end to offer in its own words."""
        message = message_of(self)
        return message.fixes if isinstance(message, Message) else ()


def message_of(error: BaseException) -> str:
    """The message of ``error``: the :class:`Message` it was given, fixes and all, or its text."""
    given = error.args[0] if len(error.args) == 1 else None
    return given if isinstance(given, Message) and str(error) == given else str(error)


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
    """The backend failed; ``transient`` says whether trying again may help.

    ``transient=True`` means the same call, made again unchanged, may
    succeed: a 503 or 429, a dropped connection, a timeout. The core retries
    those within its budgets (while waiting, while downloading) and never
    retries the others. An error the user must act on (a bad request, a
    refused login) is never transient.
    """

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
