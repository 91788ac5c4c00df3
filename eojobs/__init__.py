"""eojobs: one API and one command line for Earth-observation processing jobs.

Quick start, offline, on the built-in mock platform::

    import eojobs
    conn = eojobs.connect("mock")
    job = conn.create_job("Elevation", (-4.3, 55.8, -4.2, 55.9))
    job.start_and_wait()
    job.results().download("out/")

Heavy parts (pydantic, shapely, requests) are imported on first use, so that
importing eojobs, and ``eojobs --help``, stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from eojobs.errors import (
    AmbiguousName,
    AuthenticationError,
    BackendError,
    ConfigError,
    DownloadError,
    EOJobsError,
    InputError,
    InsufficientCredits,
    JobFailed,
    JobFileError,
    NoResults,
    NotFound,
    NotStarted,
    OptionError,
    RegionError,
    Unsupported,
    WaitTimeout,
)
from eojobs.hookspecs import hookimpl

if TYPE_CHECKING:
    from eojobs.backend import Backend, BackendSettings, JobRequest
    from eojobs.connection import Connection, connect
    from eojobs.download import DownloadReport
    from eojobs.job import Job, Result
    from eojobs.jobfile import JobDefinition, load_job_file
    from eojobs.models import (
        Asset,
        Capability,
        DataType,
        Execution,
        ExecutionStatus,
        InputSpec,
        JobInfo,
        JobStatus,
        LogEntry,
        OptionSpec,
        Schedule,
        Service,
    )
    from eojobs.options import AssumedUTCWarning
    from eojobs.region import Region, RegionFix

__version__ = "0.1.0"

_LAZY = {
    "connect": "eojobs.connection",
    "Connection": "eojobs.connection",
    "Region": "eojobs.region",
    "RegionFix": "eojobs.region",
    "Job": "eojobs.job",
    "Result": "eojobs.job",
    "JobDefinition": "eojobs.jobfile",
    "load_job_file": "eojobs.jobfile",
    "AssumedUTCWarning": "eojobs.options",
    "DownloadReport": "eojobs.download",
    "Backend": "eojobs.backend",
    "BackendSettings": "eojobs.backend",
    "JobRequest": "eojobs.backend",
    **{
        name: "eojobs.models"
        for name in (
            "Asset", "Capability", "DataType", "Execution", "ExecutionStatus", "InputSpec",
            "JobInfo", "JobStatus", "LogEntry", "OptionSpec", "Schedule", "Service",
        )
    },
}

__all__ = [
    "AmbiguousName", "Asset", "AssumedUTCWarning", "AuthenticationError", "Backend",
    "BackendError", "BackendSettings", "Capability", "ConfigError", "Connection", "DataType",
    "DownloadError", "DownloadReport", "EOJobsError", "Execution", "ExecutionStatus",
    "InputError", "InputSpec", "InsufficientCredits", "Job", "JobDefinition", "JobFailed",
    "JobFileError", "JobInfo", "JobRequest", "JobStatus", "LogEntry", "NoResults", "NotFound",
    "NotStarted", "OptionError",
    "OptionSpec", "Region", "RegionError", "RegionFix", "Result", "Schedule", "Service",
    "Unsupported", "WaitTimeout", "connect", "hookimpl", "load_job_file",
]


def __dir__() -> list[str]:
    """Every public name, loaded or not yet, so that tab completion and help() find them."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eojobs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
