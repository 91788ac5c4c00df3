"""The Fusion mapping on wire shapes the platform sends, checked without a server."""

from __future__ import annotations

from datetime import datetime, timezone

from eojobs.models import ExecutionStatus, JobStatus
from eojobs_fusion import mapping

T0 = "2026-01-01T00:00:00Z"


def wire(i: int, index: int | None, progress: int = 100, success: bool = True) -> dict:
    return {"id": f"e{i}", "group_id": "g", "group_index": index, "group_count": 3,
            "progress": progress, "success": success, "started_at": f"2026-01-01T00:00:0{i}Z"}


def test_slices_are_numbered_from_one_and_the_aggregator_follows_them():
    execs = mapping.executions([wire(1, 1), wire(2, 2), wire(3, 3), wire(4, 4)])
    assert [e.part for e in execs] == ["slice-01", "slice-02", "slice-03", "aggregate"]


def test_a_run_once_process_still_executing_is_running_even_if_its_executions_ended():
    process = {"id": "p", "process_status": "execute", "run_type": "run_once",
               "non_aggregator_count": 3, "created_at": T0}
    info = mapping.job_info(process, [wire(1, 1)], "Demo")
    assert info.status is JobStatus.RUNNING
    process["process_status"] = "stop"
    info = mapping.job_info(process, [wire(1, 1), wire(2, 2, success=False)], "Demo")
    assert info.status is JobStatus.FAILED


def test_datetime_options_are_read_with_their_format_rule():
    value = mapping.decode_value("datetime", "27/03/2021", "format=%d/%m/%Y")
    assert value == datetime(2021, 3, 27, tzinfo=timezone.utc)
    option = {"data_type": "datetime", "validation": "format=%d/%m/%Y"}
    assert mapping.encode_value(option, value) == "27/03/2021"


def test_execution_statuses():
    assert mapping.execution_status({"progress": 40}) is ExecutionStatus.RUNNING
    assert mapping.execution_status({"progress": 100, "success": True}) is \
        ExecutionStatus.SUCCEEDED
    assert mapping.execution_status({"progress": 100, "success": False}) is \
        ExecutionStatus.FAILED
    assert mapping.execution_status({"progress": 30, "stopped": True}) is \
        ExecutionStatus.STOPPED
