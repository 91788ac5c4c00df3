"""Finding jobs, executions, components and outputs by the ids the API hands out.

Processes are engine jobs. Ids derived from a job are indexed the first
time the server shows them; an id that is not indexed yet (say, a job run
from ``eojobs -b mock``) is found by looking through the jobs once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from eojobs.errors import NotFound
from eojobs_mock.engine.datastore import JOB_INPUT, DataItem
from eojobs_mock.engine.outputs import META_FILE, OutputFile, outputs
from eojobs_mock.engine.processrecords import DerivedId
from eojobs_mock.engine.timeline import ExecutionState, JobState
from eojobs_mock.server import ids
from eojobs_mock.server.analysis import analyse
from eojobs_mock.server.catalogue_view import REGION_INPUT
from eojobs_mock.server.data_view import output_type
from eojobs_mock.server.errors import ApiError, not_found
from eojobs_mock.server.schedule_codec import RUN_ONCE, RUN_SCHEDULE
from eojobs_mock.server.state import ServerState
from eojobs_mock.server.wire import parse_time

DEFAULT_STORAGE_DAYS = 30
_materialising = threading.Lock()


class JobIndex:
    """Lookups over the engine's jobs for one server."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._indexed: set[str] = set()

    def job(self, job_id: str) -> JobState:
        """A job as of now; 404 if there is none."""
        try:
            return self.state.platform.job(job_id)
        except NotFound:
            raise not_found(f"No process with id {job_id}.") from None

    def fields(self, job: JobState) -> dict[str, Any]:
        """The process fields of a job; a job made in-process gets them on first look."""
        stored = self.state.records.fields(job.row.id)
        if stored is not None:
            return stored
        with _materialising:
            stored = self.state.records.fields(job.row.id)
            if stored is None:
                stored = self._adopt(job)
                self.state.records.save(job.row.id, self.state.organisation_id, stored,
                                        job.row.created_at)
        return stored

    def visible(self, job: JobState) -> list[ExecutionState]:
        """The executions of a job that were not deleted, oldest first."""
        marks = self.state.records.marks(job.row.id)
        shown = [e for e in job.executions if not (e.id in marks and marks[e.id].deleted)]
        self._index(job, shown)
        return shown

    def execution(self, execution_id: str) -> tuple[JobState, ExecutionState]:
        """An execution and its job; 404 if there is none."""
        where = self._where(execution_id, "execution")
        if where is not None:
            try:
                job = self.state.platform.job(where.job_id)
            except NotFound:
                job = None
            for execution in self.visible(job) if job is not None else []:
                if execution.id == execution_id:
                    return job, execution
        raise not_found(f"No process execution with id {execution_id}.")

    def component(self, component_id: str) -> tuple[JobState, ExecutionState, str]:
        """A component, its execution and its job; 404 if there is none."""
        where = self._where(component_id, "component")
        if where is not None and where.execution_id and where.name:
            job, execution = self.execution(where.execution_id)
            return job, execution, where.name
        raise not_found(f"No process service execution with id {component_id}.")

    def output(self, data_id: str) -> tuple[ExecutionState, OutputFile, list[OutputFile]]:
        """An output data item's execution, file, and the other files of that execution."""
        where = self._where(data_id, "output")
        if where is not None and where.execution_id:
            try:
                job, execution = self.execution(where.execution_id)
            except ApiError:
                raise not_found(f"No data item with id {data_id}.") from None
            files = self.outputs(job, execution)
            for output in files:
                if output.name == where.name:
                    return execution, output, files
        raise not_found(f"No data item with id {data_id}.")

    def outputs(self, job: JobState, execution: ExecutionState) -> list[OutputFile]:
        """The output files of a succeeded execution (made on first request)."""
        if execution.status != "succeeded":
            return []
        slices = [e for e in job.executions if e.run == execution.run and not e.aggregator]
        demo = self.state.platform.demo(job.row.service_id)
        folder = self.state.root / "outputs" / job.row.id
        files = outputs(folder, demo, job.row.options, execution, slices)
        self._remember([(ids.output_data_id(execution.id, f.name),
                         DerivedId("output", job.row.id, execution.id, f.name)) for f in files])
        return files

    def _where(self, derived_id: str, kind: str) -> DerivedId | None:
        found = self.state.records.lookup(derived_id)
        if found is None:
            for job in self.state.platform.jobs():
                self.visible(job)
                for execution in job.executions:
                    folder = self.state.root / "outputs" / job.row.id / execution.id
                    if (folder / META_FILE).exists():
                        self.outputs(job, execution)
            found = self.state.records.lookup(derived_id)
        return found if found is not None and found.kind == kind else None

    def _index(self, job: JobState, executions: list[ExecutionState]) -> None:
        entries = []
        for execution in executions:
            entries.append((execution.id, DerivedId("execution", job.row.id, None, None)))
            entries += [(ids.component_id(execution.id, name),
                         DerivedId("component", job.row.id, execution.id, name))
                        for name in execution.components]
        self._remember(entries)

    def _remember(self, entries: list[tuple[str, DerivedId]]) -> None:
        new = [(key, where) for key, where in entries if key not in self._indexed]
        if new:
            self.state.records.register(new)
            self._indexed.update(key for key, _ in new)

    def _adopt(self, job: JobState) -> dict[str, Any]:
        """Process fields for a job created in-process, with its inputs as data items."""
        row = job.row
        inputs = {str(REGION_INPUT): self._input_item(
            row.id, f"{row.name} region", "region.geojson", "GeoJSON",
            json.dumps({"type": "Feature", "geometry": row.region, "properties": {}}).encode(),
        ).id}
        folder = self.state.root / "inputs" / row.id
        for path in sorted(folder.glob("*-*")) if folder.is_dir() else []:
            number, _, name = path.name.partition("-")
            if number.isdigit():
                inputs[str(int(number) - 1)] = self._input_item(
                    row.id, f"{row.name} input {number}", name, output_type(name),
                    path.read_bytes()).id
        schedule = row.schedule
        start = row.created_at if not schedule else parse_time(schedule["start_at"], "start_at")
        return {
            "run_type": RUN_SCHEDULE if schedule else RUN_ONCE,
            "repeat_count": schedule["repeat_count"] if schedule else 0,
            "repeat_start": start, "repeat_end": None,
            "repeat_gap": (schedule or {}).get("repeat_every_s"), "repeat_offset": None,
            "output_storage_period": DEFAULT_STORAGE_DAYS, "dispatchers": [], "inputs": inputs,
        }

    def _input_item(self, job_id: str, name: str, file_name: str, file_type: str,
                    content: bytes) -> DataItem:
        data = self.state.data
        item = data.create_item(self.state.organisation_id, name, JOB_INPUT, job_id=job_id)
        record = data.add_file(item.id, file_name, file_type)
        path: Path = data.path(record.file_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        data.finish_file(record.file_id, len(content), hashlib.sha256(content).hexdigest(),
                         analyse(path, file_type, file_name))
        return item
