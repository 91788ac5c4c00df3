"""Data items and files as Fusion objects: stored items (uploads, copies) and execution outputs."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from shapely.geometry import shape

from eojobs_mock.engine.datastore import UPLOADED, DataItem, StoredFile
from eojobs_mock.engine.outputs import OutputFile
from eojobs_mock.engine.timeline import ExecutionState
from eojobs_mock.server import ids
from eojobs_mock.server.wire import iso

OUTPUT_TYPES = {".tif": "GeoTIFF", ".tiff": "GeoTIFF", ".png": "PNG", ".csv": "CSV",
                ".geojson": "GeoJSON", ".json": "GeoJSON"}
_ANALYSIS_FIELDS = ("size", "publishable", "error", "crs", "bounds", "resolution", "area",
                    "points", "lines", "polygons", "selectors", "number_of_ingesters",
                    "ingesters", "geojson")


def stored_item_json(item: DataItem, files: list[StoredFile]) -> dict[str, Any]:
    """A stored data item."""
    bounds = next((f.analysis["bounds"] for f in files
                   if f.analysis and f.analysis.get("bounds")), None)
    return {
        "id": item.id, "created_at": iso(item.created_at), "updated_at": iso(item.updated_at),
        "organisation_id": item.organisation_id, "name": item.name, "bounds": bounds,
        "uploaded_organisation_id": item.organisation_id if item.kind == UPLOADED else None,
    }


def stored_file_json(item: DataItem, record: StoredFile) -> dict[str, Any]:
    """A file of a stored data item; analysis fields appear once its bytes have arrived."""
    fields: dict[str, Any] = {
        "id": record.id, "created_at": iso(record.created_at),
        "updated_at": iso(record.updated_at), "organisation_id": item.organisation_id,
        "data_id": item.id, "file_id": record.file_id, "file_type": record.file_type,
        "file_name": record.file_name, "downloads": 0,
    }
    if record.size is not None:
        analysis = {**(record.analysis or {}), "size": record.size}
        fields.update({key: analysis.get(key) for key in _ANALYSIS_FIELDS})
    return fields


def output_type(name: str) -> str:
    """The Fusion file type of an output file."""
    return OUTPUT_TYPES.get(PurePath(name).suffix.lower(), "Other")


def output_item_json(organisation_id: str, execution: ExecutionState,
                     output: OutputFile) -> dict[str, Any]:
    """The data item holding one output file of an execution."""
    data_id = ids.output_data_id(execution.id, output.name)
    preview = output.metadata.get("preview")
    return {
        "id": data_id, "created_at": iso(execution.ended_at),
        "updated_at": iso(execution.ended_at), "organisation_id": organisation_id,
        "name": output.name, "bounds": _bounds(execution, output),
        "file_with_preview": ids.output_file_id(data_id) if preview else None,
    }


def output_file_json(organisation_id: str, execution: ExecutionState, output: OutputFile,
                     siblings: list[OutputFile]) -> dict[str, Any]:
    """The file record of an output data item, with its metadata and a STAC item."""
    data_id = ids.output_data_id(execution.id, output.name)
    file_id = ids.output_file_id(data_id)
    meta = output.metadata
    preview = next((s for s in siblings if s.name == meta.get("preview")), None)
    bounds = _bounds(execution, output)
    resolution = meta.get("resolution_m")
    fields: dict[str, Any] = {
        "id": ids.output_record_id(data_id), "created_at": iso(execution.ended_at),
        "updated_at": iso(execution.ended_at), "organisation_id": organisation_id,
        "data_id": data_id, "file_id": file_id, "file_type": output_type(output.name),
        "file_name": output.name, "size": output.size, "publishable": True, "error": False,
        "crs": meta.get("crs"), "bounds": bounds,
        "resolution": None if resolution is None else round(resolution),
        "selectors": meta.get("selectors"), "number_of_ingesters": 0, "ingesters": {},
        "downloads": 0, "title": output.name, "description": f"{output.component} output",
        "preview_file_id": None if preview is None else ids.output_file_id(
            ids.output_data_id(execution.id, preview.name)),
    }
    if bounds is not None:
        fields["stac_item"] = _stac_item(file_id, output, bounds, iso(execution.ended_at))
        fields["stac_item_file"] = f".{output.name}.stac"
    return fields


def _bounds(execution: ExecutionState, output: OutputFile) -> list[float] | None:
    if output.metadata.get("bounds"):
        return [float(v) for v in output.metadata["bounds"]]
    if output_type(output.name) == "GeoJSON":
        return [float(v) for v in shape(execution.region).bounds]
    return None


def _stac_item(file_id: str, output: OutputFile, bounds: list[float],
               moment: str | None) -> dict[str, Any]:
    west, south, east, north = bounds
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {
        "type": "Feature", "stac_version": "1.0.0", "id": file_id,
        "geometry": {"type": "Polygon", "coordinates": [ring]}, "bbox": bounds,
        "properties": {"datetime": moment, "title": output.name},
        "assets": {output.name: {"href": output.name, "type": output.media_type,
                                 "roles": ["data"]}},
        "links": [],
    }
