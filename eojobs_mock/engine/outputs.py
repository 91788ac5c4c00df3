"""Real output files for a finished execution: a GeoTIFF, CSV statistics, GeoJSON and a PNG preview.

Outputs are deterministic for a given region, service and options: the
rasters are synthetic fields of longitude and latitude, masked to the region.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from eojobs_mock.engine.catalogue import AGGREGATOR, DemoService, Product
from eojobs_mock.engine.timeline import ExecutionState

MAX_PIXELS = 256
METRES_PER_DEGREE = 111_320.0
META_FILE = ".outputs.json"
NODATA_FLOAT = -9999.0
NODATA_CLASS = 0
HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class OutputFile:
    """One output file of an execution, with its metadata."""

    name: str
    path: Path
    size: int
    sha256: str
    media_type: str
    execution_id: str
    component: str
    metadata: dict[str, Any]


def outputs(root: Path, demo: DemoService, options: dict[str, Any],
            execution: ExecutionState, slices: list[ExecutionState]) -> list[OutputFile]:
    """The files of a succeeded execution, written on first request."""
    folder = root / execution.id
    meta = folder / META_FILE
    if not meta.exists():
        _write_atomically(folder, lambda tmp: _generate(tmp, demo, options, execution, slices))
    entries = json.loads(meta.read_text(encoding="utf-8"))
    return [OutputFile(path=folder / e["name"], execution_id=execution.id, **e) for e in entries]


def _write_atomically(folder: Path, fill: Any) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        fill(tmp)
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / META_FILE).exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _generate(folder: Path, demo: DemoService, options: dict[str, Any],
              execution: ExecutionState, slices: list[ExecutionState]) -> None:
    entries: list[dict[str, Any]] = []
    product = demo.product
    main_component = demo.components[-2] if len(demo.components) > 1 else demo.components[0]
    stats_component = demo.components[-1]
    if execution.aggregator:
        rows = []
        for piece in slices:
            data, _ = _raster(product, piece.region, options)
            rows.append(_stats_row(piece, product, data))
        rows.append(_combine(rows))
        _add(entries, folder, "statistics.csv", _csv(rows, options), "text/csv",
             AGGREGATOR, {"rows": len(rows)})
        _add(entries, folder, "region.geojson",
             _geojson(execution.region, rows[-1]), "application/geo+json", AGGREGATOR,
             {"crs": "EPSG:4326"})
    else:
        data, transform = _raster(product, execution.region, options)
        stats = _stats_row(execution, product, data)
        bounds = [transform[0], transform[3] - transform[4] * data.shape[0],
                  transform[0] + transform[1] * data.shape[1], transform[3]]
        raster_meta = {
            "crs": "EPSG:4326", "bounds": bounds, "width": data.shape[1],
            "height": data.shape[0], "resolution_m": transform[1] * METRES_PER_DEGREE,
            "selectors": [_selector(product, data)], "preview": f"{product.band}.png",
        }
        _add(entries, folder, f"{product.band}.tif", _geotiff(data, transform),
             "image/tiff; application=geotiff; profile=cloud-optimized", main_component,
             raster_meta)
        _add(entries, folder, f"{product.band}.png", _png(data), "image/png",
             main_component, {"preview_of": f"{product.band}.tif"})
        _add(entries, folder, "statistics.csv", _csv([stats], options), "text/csv",
             stats_component, {"rows": 1})
        _add(entries, folder, "footprint.geojson", _geojson(execution.region, stats),
             "application/geo+json", stats_component, {"crs": "EPSG:4326"})
    (folder / META_FILE).write_text(json.dumps(entries, indent=1), encoding="utf-8")


def _add(entries: list[dict[str, Any]], folder: Path, name: str, content: bytes,
         media_type: str, component: str, metadata: dict[str, Any]) -> None:
    (folder / name).write_bytes(content)
    entries.append({
        "name": name, "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
        "media_type": media_type, "component": component, "metadata": metadata,
    })


def _seed(product: Product, options: dict[str, Any]) -> float:
    key = json.dumps([product.band, options], sort_keys=True, default=str).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") / 2**32 * 2 * math.pi


def _raster(product: Product, region: dict[str, Any],
            options: dict[str, Any]) -> tuple[np.ndarray, tuple[float, ...]]:
    """The synthetic field over the region's bounds, masked to it; and its geotransform."""
    geometry = shape(region)
    w, s, e, n = geometry.bounds
    resolution = float(options.get("resolution", 30) or 30)
    step = max(resolution / METRES_PER_DEGREE, (e - w) / MAX_PIXELS, (n - s) / MAX_PIXELS)
    width = max(1, math.ceil((e - w) / step))
    height = max(1, math.ceil((n - s) / step))
    xs = w + (np.arange(width) + 0.5) * step
    ys = n - (np.arange(height) + 0.5) * step
    lon, lat = np.meshgrid(xs, ys)
    phase = _seed(product, options)
    wave = np.sin(lon * 37 + phase) * np.cos(lat * 23 - phase) + 0.35 * np.sin(lon * 151 + lat * 97)
    shapely.prepare(geometry)
    inside = shapely.contains_xy(geometry, lon, lat)
    if product.dtype == "uint8":
        classes = product.classes
        levels = np.clip(((wave + 1.35) / 2.7 * classes).astype(np.int64), 0, classes - 1) + 1
        data = np.where(inside, levels, NODATA_CLASS).astype(np.uint8)
    else:
        if product.field == "vegetation":
            values = 0.35 + 0.4 * wave / 1.35
        else:
            values = 220 + 180 * wave
        data = np.where(inside, values, NODATA_FLOAT).astype(np.float32)
    return data, (w, step, 0.0, n, step, 0.0)


def _nodata(data: np.ndarray) -> float:
    return NODATA_CLASS if data.dtype == np.uint8 else NODATA_FLOAT


def _valid(data: np.ndarray) -> np.ndarray:
    return data[data != _nodata(data)].astype(np.float64)


def _selector(product: Product, data: np.ndarray) -> dict[str, Any]:
    valid = _valid(data)
    if valid.size == 0:
        return {"selector": product.band, "unit": product.unit}
    # A classified product's bins span its classes, so each class keeps its own bin.
    span = (1, product.classes) if product.classes > 1 else None
    counts, edges = np.histogram(valid, bins=HISTOGRAM_BINS, range=span)
    return {
        "selector": product.band, "unit": product.unit, "data_type": product.dtype,
        "minimum": float(valid.min()), "maximum": float(valid.max()),
        "mean": float(valid.mean()), "sd": float(valid.std()),
        "histogram_minimum": float(edges[0]), "histogram_maximum": float(edges[-1]),
        "histogram": [int(c) for c in counts],
    }


def _stats_row(execution: ExecutionState, product: Product, data: np.ndarray) -> dict[str, Any]:
    valid = _valid(data)
    part = "all" if execution.index is None else str(execution.index + 1)
    return {
        "slice": part, "band": product.band, "unit": product.unit, "pixels": int(valid.size),
        "minimum": round(float(valid.min()), 4) if valid.size else "",
        "maximum": round(float(valid.max()), 4) if valid.size else "",
        "mean": round(float(valid.mean()), 4) if valid.size else "",
        "sd": round(float(valid.std()), 4) if valid.size else "",
        "area_km2": round(execution.area_km2, 4),
    }


def _combine(rows: list[dict[str, Any]]) -> dict[str, Any]:
    filled = [r for r in rows if r["pixels"]]
    pixels = sum(r["pixels"] for r in filled)
    mean = sum(r["mean"] * r["pixels"] for r in filled) / pixels if pixels else ""
    return {
        "slice": "total", "band": rows[0]["band"], "unit": rows[0]["unit"], "pixels": pixels,
        "minimum": min((r["minimum"] for r in filled), default=""),
        "maximum": max((r["maximum"] for r in filled), default=""),
        "mean": round(mean, 4) if pixels else "", "sd": "",
        "area_km2": round(sum(r["area_km2"] for r in rows), 4),
    }


def _csv(rows: list[dict[str, Any]], options: dict[str, Any]) -> bytes:
    out = io.StringIO()
    label = options.get("label")
    fields = (["label"] if label is not None else []) + list(rows[0])
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({"label": label, **row} if label is not None else row)
    return out.getvalue().encode()


def _geojson(region: dict[str, Any], stats: dict[str, Any]) -> bytes:
    feature = {"type": "Feature", "geometry": region, "properties": stats}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def _geotiff(data: np.ndarray, transform: tuple[float, ...]) -> bytes:
    import tifffile

    west, step, _, north, _, _ = transform
    geokeys = [
        1, 1, 0, 4,  # GeoKeyDirectory version 1.1.0, four keys
        1024, 0, 1, 2,  # GTModelTypeGeoKey: geographic
        1025, 0, 1, 1,  # GTRasterTypeGeoKey: pixel is area
        2048, 0, 1, 4326,  # GeographicTypeGeoKey: WGS 84
        2054, 0, 1, 9102,  # GeogAngularUnitsGeoKey: degree
    ]
    nodata = str(int(_nodata(data)))
    buffer = io.BytesIO()
    tifffile.imwrite(
        buffer, data, photometric="minisblack", compression="zlib", software="eojobs-mock",
        description=None, metadata=None,
        extratags=[
            (33550, "d", 3, (step, step, 0.0), True),
            (33922, "d", 6, (0.0, 0.0, 0.0, west, north, 0.0), True),
            (34735, "H", len(geokeys), geokeys, True),
            (42113, "s", 0, nodata, True),
        ],
    )
    return buffer.getvalue()


def _png(data: np.ndarray) -> bytes:
    from PIL import Image

    valid_mask = data != _nodata(data)
    valid = data[valid_mask].astype(np.float64)
    low, high = (float(valid.min()), float(valid.max())) if valid.size else (0.0, 1.0)
    scaled = (data.astype(np.float64) - low) / (high - low or 1.0)
    scaled = np.clip(scaled, 0, 1)
    rgba = np.zeros((*data.shape, 4), dtype=np.uint8)
    rgba[..., 0] = (scaled * 180 + 40).astype(np.uint8)
    rgba[..., 1] = (scaled * 200 + 30).astype(np.uint8)
    rgba[..., 2] = ((1 - scaled) * 160 + 40).astype(np.uint8)
    rgba[..., 3] = np.where(valid_mask, 255, 0)
    buffer = io.BytesIO()
    Image.fromarray(rgba).save(buffer, format="PNG")
    return buffer.getvalue()
