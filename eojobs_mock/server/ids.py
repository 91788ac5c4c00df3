"""Stable ids of what the engine computes rather than stores: groups, components, outputs, logs."""

from __future__ import annotations

import uuid

from eojobs_mock.server.catalogue_view import NAMESPACE


def _derive(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def group_id(job_id: str, run: int) -> str:
    """The group of the sliced executions (and aggregator) of one run of a job."""
    return _derive("group", job_id, run)


def component_id(execution_id: str, component: str) -> str:
    """One component (service execution) of an execution."""
    return _derive("component", execution_id, component)


def output_data_id(execution_id: str, file_name: str) -> str:
    """The data item holding one output file of an execution."""
    return _derive("output", execution_id, file_name)


def output_record_id(data_id: str) -> str:
    """The file record of an output data item."""
    return _derive("file-record", data_id)


def output_file_id(data_id: str) -> str:
    """The storage object id of an output data item's file."""
    return _derive("file-object", data_id)


def log_id(component: str, index: int) -> str:
    """One log line of a component."""
    return _derive("log", component, index)
