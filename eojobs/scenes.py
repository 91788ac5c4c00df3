"""Scene: one item a search found, described without downloading anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eojobs.model_base import Model


@dataclass(frozen=True, kw_only=True)
class Scene(Model):
    """One scene (a STAC item) that matches a search: what a job of the search would fetch."""

    id: str
    #: The service (collection) it belongs to.
    service_id: str
    time: datetime | None = None
    #: Percent of the scene under cloud, where the provider says.
    cloud_cover: float | None = None
    #: The names of the files (assets) a job would download.
    assets: list[str] = field(default_factory=list)
    #: The bytes of those files together, when the provider gives every size.
    size: int | None = None
    bbox: list[float] | None = None
    #: Anything else the provider says of it (the item's properties).
    metadata: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<Scene {self.id} {self.time} {len(self.assets)} assets>"

    def __str__(self) -> str:
        return self.id
