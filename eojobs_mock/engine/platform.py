"""MockPlatform: the simulated platform's operations, over the store, clock and outputs."""

from __future__ import annotations

import math
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eojobs.errors import EOJobsError, InputError, InsufficientCredits, NotFound
from eojobs_mock.engine.catalogue import BY_ID, SERVICES, DemoService
from eojobs_mock.engine.datastore import DataStore
from eojobs_mock.engine.processrecords import ProcessRecords
from eojobs_mock.engine.store import JobRow, Store
from eojobs_mock.engine.timeline import JobState, job_state

if TYPE_CHECKING:
    from eojobs_mock.engine.outputs import OutputFile


class MockPlatform:
    """The whole simulated platform, kept in ``<home>/mock``."""

    def __init__(self, home: Path, *, speed: float = 1.0, initial_credits: float = 1000.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.root = home / "mock"
        self.speed = speed
        self.clock = clock
        self.store = Store(self.root / "state.sqlite", initial_credits)

    def close(self) -> None:
        """Close the database connection of this thread."""
        self.store.close()

    def services(self) -> tuple[DemoService, ...]:
        """The catalogue."""
        return SERVICES

    def demo(self, service_id: str) -> DemoService:
        """One catalogue entry by id."""
        try:
            return BY_ID[service_id]
        except KeyError:
            raise NotFound(f"no service with id {service_id}") from None

    def credits(self) -> float:
        """The account's credits."""
        return self.store.credits()

    def set_credits(self, credits: float) -> None:
        """Give the account ``credits``."""
        if not (math.isfinite(credits) and credits >= 0):
            raise InputError("credits must be a finite number, 0 or more")
        self.store.set_credits(credits)

    def create_job(self, *, service_id: str, name: str, region: dict[str, Any],
                   slices: list[dict[str, Any]], options: dict[str, Any],
                   inputs: dict[str, str], schedule: dict[str, Any] | None) -> JobState:
        """Create and price a job; ``slices`` hold each slice's geometry and area."""
        demo = self.demo(service_id)
        area = sum(piece["area_km2"] for piece in slices)
        row = JobRow(
            id=str(uuid.uuid4()), name=name, service_id=service_id, region=region,
            slices=slices, options=options, inputs=inputs, price=demo.price(area, options),
            created_at=self.clock(), schedule=schedule, started_at=None, speed=None,
            stopped_at=None,
        )
        self.store.insert_job(row)
        return job_state(row, self.clock())

    def job(self, job_id: str) -> JobState:
        """A job as of now."""
        row = self.store.get_job(job_id)
        if row is None:
            raise NotFound(f"no job {job_id} on the mock platform")
        return job_state(row, self.clock())

    def jobs(self) -> list[JobState]:
        """Every job as of now, newest first."""
        now = self.clock()
        return [job_state(row, now) for row in self.store.list_jobs()]

    def start(self, job_id: str) -> JobState:
        """Charge the account and start a job."""
        problem = self.store.start_job(job_id, self.clock(), self.speed)
        if problem == "missing":
            raise NotFound(f"no job {job_id} on the mock platform")
        if problem == "started":
            raise EOJobsError(f"job {job_id} was already started")
        if problem is not None:
            _, cost, credits = problem.split(":")
            raise InsufficientCredits(
                f"job {job_id} costs {float(cost):g} credits but the account has "
                f"{float(credits):g}; add credits with `eojobs mock credits --set N`"
            )
        return self.job(job_id)

    def stop(self, job_id: str) -> JobState:
        """Stop a job; executions in flight end as stopped."""
        state = self.job(job_id)
        if state.status == "created":
            raise EOJobsError(f"job {job_id} has not been started, so it cannot be stopped")
        if state.status in ("running", "scheduled"):
            self.store.stop_job(job_id, self.clock())
        return self.job(job_id)

    def delete(self, job_id: str) -> None:
        """Delete a job and all it left: outputs, inputs, and what the server face recorded."""
        if not self.store.delete_job(job_id):
            raise NotFound(f"no job {job_id} on the mock platform")
        shutil.rmtree(self.root / "outputs" / job_id, ignore_errors=True)
        shutil.rmtree(self.root / "inputs" / job_id, ignore_errors=True)
        data = DataStore(self.store, self.root, self.clock)
        while (made := data.job_input(job_id)) is not None:
            data.delete_item(made.id)
        ProcessRecords(self.store).forget_job(job_id)

    def outputs(self, job_id: str) -> list[OutputFile]:
        """The files of every succeeded execution of a job."""
        from eojobs_mock.engine.outputs import outputs

        state = self.job(job_id)
        demo = self.demo(state.row.service_id)
        folder = self.root / "outputs" / job_id
        files: list[OutputFile] = []
        for execution in state.executions:
            if execution.status != "succeeded":
                continue
            slices = [e for e in state.executions
                      if e.run == execution.run and not e.aggregator]
            files.extend(outputs(folder, demo, state.row.options, execution, slices))
        return files
