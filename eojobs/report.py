"""What a download did: the files written, already there, not ready yet, and failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eojobs.errors import DownloadError


@dataclass
class DownloadReport:
    """What a download did: files written, already there, not ready yet, and failed."""

    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    scheduled: list[Path] = field(default_factory=list)
    #: Files among ``done`` whose completeness nothing could check: no size, no checksum.
    unverified: list[Path] = field(default_factory=list)
    bytes_written: int = 0
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was cancelled."""
        return not self.failed and not self.cancelled

    def raise_for_failures(self) -> None:
        """Raise DownloadError if any file failed."""
        if self.failed:
            first_path, first_reason = self.failed[0]
            raise DownloadError(
                f"{len(self.failed)} of {self._total} files failed, first {first_path}: "
                f"{first_reason}",
                report=self,
            )

    @property
    def _total(self) -> int:
        return len(self.done) + len(self.skipped) + len(self.failed) + len(self.scheduled)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary."""
        return {
            "done": [str(p) for p in self.done],
            "skipped": [str(p) for p in self.skipped],
            "scheduled": [str(p) for p in self.scheduled],
            "failed": [{"path": str(p), "reason": r} for p, r in self.failed],
            "unverified": [str(p) for p in self.unverified],
            "bytes": self.bytes_written,
            "cancelled": self.cancelled,
        }
