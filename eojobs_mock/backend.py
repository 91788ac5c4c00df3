"""The in-process mock backend: maps the engine's records onto the eojobs SPI."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from eojobs.backend import Backend, BackendSettings, JobHints, JobRequest
from eojobs.config import home
from eojobs.errors import NotFound
from eojobs.models import (
    Asset,
    Capability,
    Execution,
    ExecutionStatus,
    JobInfo,
    JobStatus,
    LogEntry,
    RegionLimits,
    Schedule,
    Service,
)
from eojobs.options import to_jsonable
from eojobs_mock.engine.catalogue import BY_ID
from eojobs_mock.engine.platform import MockPlatform
from eojobs_mock.engine.timeline import ExecutionState, JobState, job_state

if TYPE_CHECKING:
    from eojobs_fusion.extras import Organisation
    from eojobs_mock.engine.outputs import OutputFile


@dataclass(kw_only=True)
class MockSettings(BackendSettings):
    """Settings of the mock platform (``EOJOBS_MOCK_<NAME>``)."""

    #: Multiplier on the simulated clock.
    speed: float = 1.0
    #: Regions larger than this are split into slices.
    max_slice_km2: float = 500.0
    #: Credits a new mock account starts with.
    initial_credits: float = 1000.0
    #: The most vertices a job's region may have.
    max_region_vertices: int = 100_000

    def __post_init__(self) -> None:
        for name, least, strict in (("speed", 0, True), ("max_slice_km2", 0, True),
                                    ("initial_credits", 0, False),
                                    ("max_region_vertices", 3, True)):
            value = getattr(self, name)
            if value < least or (strict and value == least) or value != value:
                bound = f"above {least}" if strict else f"at least {least}"
                raise ValueError(f"{name} must be {bound}, not {value}")


class MockBackend(Backend[MockSettings]):
    """The offline simulated platform, state in SQLite under ``EOJOBS_HOME``."""

    name: ClassVar[str] = "mock"
    title: ClassVar[str] = "Offline simulated EO platform"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({
        Capability.SCHEDULES, Capability.PRICE, Capability.RESUMABLE_DOWNLOADS,
    })
    settings_model: ClassVar[type[BackendSettings]] = MockSettings
    poll_interval: ClassVar[tuple[float, float]] = (0.02, 1.0)

    def __init__(self, settings: MockSettings) -> None:
        super().__init__(settings)
        self.platform = MockPlatform(
            home(), speed=settings.speed, initial_credits=settings.initial_credits
        )

    def close(self) -> None:
        """Close the database."""
        self.platform.close()

    def credits(self) -> float:
        """Credits of the mock account."""
        return self.platform.credits()

    def organisations(self) -> list[Organisation]:
        """The mock account's one organisation (an extra of Fusion's, which the mock simulates)."""
        from eojobs_fusion.extras import Organisation

        return [Organisation(id="mock", name="Mock organisation",
                             credits=self.platform.credits())]

    def copy_job(self, job_id: str, name: str) -> JobInfo:
        """A new job with the same service, region, slices, options and schedule."""
        row = self.platform.job(job_id).row
        state = self.platform.create_job(
            service_id=row.service_id, name=name, region=row.region, slices=row.slices,
            options=row.options, inputs=row.inputs, schedule=row.schedule,
        )
        return _job_info(state)

    def job_region(self, job_id: str) -> dict[str, Any]:
        """The region's geometry as the job stored it."""
        return dict(self.platform.job(job_id).row.region)

    def list_services(self, search: str | None = None) -> list[Service]:
        """The demo catalogue."""
        return [demo.service for demo in self.platform.services()]

    def region_limits(self, service: Service) -> RegionLimits:
        """As many slices as a split makes at most, and the vertex limit of the settings."""
        from eojobs.region import MAX_SLICES

        return RegionLimits(max_area_km2=self.settings.max_slice_km2 * MAX_SLICES,
                            max_vertices=self.settings.max_region_vertices)

    def submit(self, request: JobRequest) -> JobInfo:
        """Split the region, copy the inputs, and create a priced job."""
        slices = [
            {"geometry": piece.to_geojson(), "area_km2": piece.area_km2}
            for piece in request.region.split(self.settings.max_slice_km2)
        ]
        schedule = None
        if request.schedule is not None:
            gap = request.schedule.repeat_every
            schedule = {
                "start_at": request.schedule.start_at.isoformat(),
                "repeat_count": request.schedule.repeat_count,
                "repeat_every_s": gap.total_seconds() if gap else None,
            }
        state = self.platform.create_job(
            service_id=request.service.id,
            name=request.name,
            region=request.region.to_geojson(),
            slices=slices,
            options={k: to_jsonable(v) for k, v in request.options.items()},
            inputs={},
            schedule=schedule,
        )
        if request.inputs:
            folder = self.platform.root / "inputs" / state.row.id
            folder.mkdir(parents=True, exist_ok=True)
            for number, path in request.inputs.items():
                shutil.copyfile(path, folder / f"{number}-{path.name}")
        return _job_info(state)

    def start(self, job_id: str) -> JobInfo:
        """Charge credits and start the clock."""
        return _job_info(self.platform.start(job_id))

    def stop(self, job_id: str) -> JobInfo:
        """Stop the job."""
        return _job_info(self.platform.stop(job_id))

    def delete(self, job_id: str) -> None:
        """Delete the job and its files."""
        self.platform.delete(job_id)

    def get_job(self, job_id: str) -> JobInfo:
        """One job as of now."""
        return _job_info(self.platform.job(job_id))

    def list_jobs(self) -> list[JobInfo]:
        """All jobs, newest first."""
        return [_job_info(state) for state in self.platform.jobs()]

    def recent_jobs(self, hints: JobHints) -> list[JobInfo]:
        """Jobs newest first, working out the state only of those the hints keep."""
        now = self.platform.clock()
        found = []
        for row in self.platform.store.list_jobs():
            # Compared as datetimes: JobInfo.created_at is rounded to microseconds.
            if hints.since is not None and _dt(row.created_at) < hints.since:
                continue
            found.append(_job_info(job_state(row, now)))
            if hints.limit is not None and len(found) >= hints.limit:
                break
        return found

    def list_assets(self, job_id: str) -> list[Asset]:
        """Output files of the succeeded executions."""
        return [_asset(f) for f in self.platform.outputs(job_id)]

    def open_asset(self, asset: Asset, offset: int = 0) -> IO[bytes]:
        """Open the output file at ``offset``."""
        path = Path(asset.href)
        if self.platform.root not in path.parents:
            raise NotFound(f"{asset.name} is not a mock platform file")
        try:
            stream = open(path, "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise NotFound(f"{asset.name} is gone from the mock platform") from None
        stream.seek(offset)
        return stream

    def logs(self, job_id: str) -> list[LogEntry]:
        """Log lines of every component so far."""
        return [
            LogEntry(time=_dt(line.time), execution_id=line.execution_id,
                     component=line.component, level=line.level, message=line.message)
            for line in self.platform.job(job_id).logs
        ]


def _dt(epoch: float | None) -> Any:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=timezone.utc)


def _job_info(state: JobState) -> JobInfo:
    row = state.row
    schedule = None
    if row.schedule:
        gap = row.schedule.get("repeat_every_s")
        schedule = Schedule(
            start_at=datetime.fromisoformat(row.schedule["start_at"]),
            repeat_count=row.schedule["repeat_count"],
            repeat_every=timedelta(seconds=gap) if gap else None,
        )
    return JobInfo(
        id=row.id, name=row.name, service_id=row.service_id,
        service_name=BY_ID[row.service_id].service.name, status=JobStatus(state.status),
        price=row.price, progress=state.progress, created_at=_dt(row.created_at),
        started_at=_dt(row.started_at), ended_at=_dt(state.ended_at), schedule=schedule,
        options=row.options, executions=[_execution(e) for e in state.executions],
        error=state.error,
    )


def _execution(e: ExecutionState) -> Execution:
    part = "aggregate" if e.aggregator else f"slice-{(e.index or 0) + 1:02d}" if e.count > 1 else ""
    return Execution(
        id=e.id, run=e.run, part=part,
        status=ExecutionStatus(e.status), progress=e.progress, started_at=_dt(e.started_at),
        ended_at=_dt(e.ended_at), error=e.abort_reason, components=list(e.components),
    )


#: What the engine records of a file that Asset has a field for.
_TYPED = ("crs", "bounds", "width", "height", "preview")


def _asset(f: OutputFile) -> Asset:
    meta = f.metadata
    height, width = meta.get("height"), meta.get("width")
    return Asset(
        name=f.name, size=f.size, media_type=f.media_type, execution_id=f.execution_id,
        component=f.component, checksum=f.sha256, href=str(f.path),
        roles=["thumbnail"] if f.media_type == "image/png" else ["data"],
        crs=meta.get("crs"), bbox=meta.get("bounds"), preview=meta.get("preview"),
        shape=(height, width) if height and width else None,
        metadata={k: v for k, v in meta.items() if k not in _TYPED},
    )
