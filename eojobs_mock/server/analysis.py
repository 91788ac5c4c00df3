"""What the platform finds out about an uploaded file once its bytes have arrived."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eojobs.errors import RegionError
from eojobs.region import Region

GEOJSON_TYPES = ("GeoJSON",)
INLINE_GEOJSON_BYTES = 100_000
FILE_TYPES = ("GeoTIFF", "JPEG2000", "DEM", "GeoJSON", "KML", "KMZ", "CSV", "ESRI Shapefile",
              "JPEG", "PNG", "PDF", "GZIP", "ZIP", "Other")
SUBSTITUTES = {"GeoTIFF": ("GeoTIFF", "DEM", "JPEG2000"),
               "GeoJSON": ("GeoJSON", "KML", "KMZ", "ESRI Shapefile")}


def accepts(input_type: str, file_type: str) -> bool:
    """True if a file of ``file_type`` may fill an input of ``input_type``."""
    return file_type in SUBSTITUTES.get(input_type, (input_type,))


def analyse(path: Path, file_type: str, file_name: str) -> dict[str, Any]:
    """The analysis fields of a file: ``publishable`` when usable, ``error`` when not."""
    if file_type not in GEOJSON_TYPES:
        return {"publishable": True, "error": False, "number_of_ingesters": 0, "ingesters": {}}
    try:
        text = path.read_bytes().decode("utf-8")
        region = Region.from_geojson(text, source=file_name)
    except UnicodeDecodeError:
        return {"error": True, "error_message": f"{file_name} is not UTF-8 text",
                "number_of_ingesters": 0, "ingesters": {}}
    except RegionError as problem:
        return {"error": True, "error_message": str(problem), "number_of_ingesters": 0,
                "ingesters": {}}
    geometry = region.geometry
    fields: dict[str, Any] = {
        "publishable": True, "error": False, "crs": "EPSG:4326", "bounds": list(region.bounds),
        "area": round(region.area_km2 * 1e6, 1), "points": 0, "lines": 0,
        "polygons": len(getattr(geometry, "geoms", [geometry])),
        "number_of_ingesters": 0, "ingesters": {},
    }
    if len(text) <= INLINE_GEOJSON_BYTES:
        fields["geojson"] = text
    return fields
