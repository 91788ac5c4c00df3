"""Region loading, validation and splitting: time and peak memory, and how they grow.

Cases, each in its own process so its peak memory is its own:

1. ``../shared/data/regions/lake_district.geojson`` (36,099 vertices in
   EPSG:27700): load and reproject, validate, split into 50 km² pieces;
2. synthetic GeoJSON polygons of 125k to 1M vertices (a wavy ring): the same.

The reference in the same run is the least any reader must do with the
same file: ``json.loads``, ``shapely.geometry.shape`` and ``is_valid``. The
growth check divides time by n log n: flat means O(n log n) or better.

Usage: python bench/regions.py [--lake PATH] [--max-vertices 1000000]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CHILD = r"""
import json, resource, sys, time
path, mode, slice_km2 = sys.argv[1], sys.argv[2], float(sys.argv[3])
import shapely, shapely.geometry
from eojobs import Region
import pyproj  # both modes pay the same imports
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
if mode == "reference":
    data = json.loads(open(path).read())
    geometry = data["features"][0]["geometry"] if "features" in data else data
    shape = shapely.geometry.shape(geometry)
    assert shape.is_valid
    t1 = t2 = time.perf_counter()
    pieces, vertices = 0, int(shapely.get_num_coordinates(shape))
else:
    region = Region.from_file(path)
    t1 = time.perf_counter()
    pieces = len(region.split(slice_km2))
    t2 = time.perf_counter()
    vertices = region.vertex_count
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"load": t1 - t0, "split": t2 - t1, "pieces": pieces, "vertices": vertices,
                  "peak_mib": (peak - base) / 1024}))
"""


def run(path: Path, mode: str, slice_km2: float) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), mode, str(slice_km2)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def best(path: Path, mode: str, slice_km2: float, runs: int = 3) -> dict[str, float]:
    results = [run(path, mode, slice_km2) for _ in range(runs)]
    return min(results, key=lambda r: r["load"] + r["split"])


def wavy(vertices: int, folder: Path) -> Path:
    """A ring of ``vertices`` points around Cumbria, wavy enough that none is redundant."""
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = 0.3 * (1 + 0.05 * np.sin(theta * 997))
    x = -3.0 + radius * np.cos(theta) * 1.7
    y = 54.5 + radius * np.sin(theta)
    ring = np.column_stack([x, y])
    ring = np.vstack([ring, ring[:1]]).round(9)
    path = folder / f"wavy_{vertices}.geojson"
    path.write_text(json.dumps({"type": "Polygon", "coordinates": [ring.tolist()]}))
    return path


def report(name: str, mine: dict[str, float], ref: dict[str, float]) -> None:
    print(f"{name:<28} {mine['vertices']:>9,} {mine['load']:>7.3f} {mine['split']:>7.3f} "
          f"{mine['pieces']:>6} {mine['peak_mib']:>8.0f} {ref['load']:>7.3f} "
          f"{mine['load'] / ref['load']:>6.2f}x {ref['peak_mib']:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lake", type=Path, default=Path(__file__).resolve().parents[2]
                        / "shared" / "data" / "regions" / "lake_district.geojson")
    parser.add_argument("--max-vertices", type=int, default=1_000_000)
    parser.add_argument("--slice-km2", type=float, default=50.0)
    args = parser.parse_args()
    print(f"{'case':<28} {'vertices':>9} {'load s':>7} {'split s':>7} {'pieces':>6} "
          f"{'peak MiB':>8} {'ref s':>7} {'ratio':>7} {'ref MiB':>8}")
    if args.lake.exists():
        report("lake_district (EPSG:27700)", best(args.lake, "eojobs", args.slice_km2),
               best(args.lake, "reference", args.slice_km2))
    else:
        print(f"(skipping the Lake District: no {args.lake})")
    sizes = [args.max_vertices // 8, args.max_vertices // 4, args.max_vertices // 2,
             args.max_vertices]
    growth = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = wavy(n, Path(tmp))
            mine = best(path, "eojobs", args.slice_km2, runs=2)
            ref = best(path, "reference", args.slice_km2, runs=2)
            report(f"synthetic {n:,}", mine, ref)
            growth.append((n, (mine["load"] + mine["split"]) / (n * math.log2(n))))
    first = growth[0][1]
    print("\ntime / (n log n), relative to the smallest size (flat = O(n log n)):")
    print("  " + "  ".join(f"{n:,}: {g / first:.2f}" for n, g in growth))


if __name__ == "__main__":
    main()
