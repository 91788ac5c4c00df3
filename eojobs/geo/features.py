"""What every region reader returns: geometries with labels, their CRS, and notes."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry


@dataclass
class Feature:
    """One geometry read from a source, with a label for messages (``feature 3 (Keswick)``)."""

    geometry: BaseGeometry
    label: str
    #: Where the source left a ring open (shapely closes rings silently), if it did.
    open_ring: str | None = None


@dataclass
class Parsed:
    """The features of one source, the CRS it names (None: lon/lat), and notes for the user."""

    features: list[Feature]
    crs: str | None = None
    notes: list[str] = field(default_factory=list)


def feature_label(index: int, properties: object) -> str:
    """``feature N`` plus the feature's name when its properties carry one."""
    label = f"feature {index}"
    if isinstance(properties, dict):
        for key in ("name", "Name", "NAME", "title", "id", "ID"):
            value = properties.get(key)
            if isinstance(value, (str, int)) and str(value).strip():
                return f"{label} ({str(value).strip()[:60]})"
    return label
