"""Region flags shared by the commands that take ``--region``, and ``eojobs region``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from eojobs.cli.output import emit, notice

F = TypeVar("F", bound=Callable[..., Any])

_DISTANCE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?\d+)?)\s*(m|km)?\s*$", re.IGNORECASE)


class Distance(click.ParamType):
    """A positive distance: metres by default, or with ``m`` or ``km`` (``250``, ``1.5km``)."""

    name = "METRES"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        """Metres as a float; a clear error for anything else."""
        if isinstance(value, (int, float)):
            metres = float(value)
        else:
            match = _DISTANCE.match(str(value))
            if not match:
                self.fail(f"{value!r} is not a distance such as 100, 100m or 1.5km", param, ctx)
            metres = float(match.group(1)) * (1000 if (match.group(2) or "").lower() == "km" else 1)
        if not (math.isfinite(metres) and metres > 0):
            self.fail(f"{value!r} must be a positive distance", param, ctx)
        return metres


def complete_files(ctx: click.Context, param: click.Parameter,
                   incomplete: str) -> list[CompletionItem]:
    """Shell completion of file names, for a parameter that also takes text (a bbox, WKT)."""
    return [CompletionItem(incomplete, type="file")]


def region_fix_options(command: F) -> F:
    """Add the flags that let a user allow changes to a region while it is read."""
    flags = [
        click.option("--per-feature", is_flag=True,
                     help="One region per feature (placemark, shape) instead of their union."),
        click.option("--region-crs", metavar="CRS",
                     help="The CRS of a region that names none, e.g. EPSG:27700 (needs pyproj)."),
        click.option("--swap-xy", is_flag=True, help="Read the region's coordinates as lat,lon."),
        click.option("--simplify", type=Distance(),
                     help="Drop vertices within this distance of the outline, e.g. 10m."),
        click.option("--repair", is_flag=True,
                     help="Close open rings (GeoJSON, KML), fix self-intersections (make_valid), "
                          "and split "
                          "polygons at the antimeridian."),
        click.option("--buffer", type=Distance(),
                     help="Turn points and lines into areas this wide on each side, e.g. 100m."),
    ]
    for flag in flags:
        command = flag(command)
    return command


def fix_from(params: dict[str, Any]) -> Any:
    """The RegionFix the flags of :func:`region_fix_options` ask for."""
    from eojobs.region import RegionFix

    return RegionFix(buffer_m=params.get("buffer"), repair=bool(params.get("repair")),
                     simplify_m=params.get("simplify"), swap_xy=bool(params.get("swap_xy")),
                     crs=params.get("region_crs"))


def read_regions(value: Any, params: dict[str, Any]) -> list[Any]:
    """The region (or, with --per-feature, the regions) the user gave."""
    from eojobs.region import Region

    fix = fix_from(params)
    if params.get("per_feature"):
        return Region.parse_each(value, fix)
    return [Region.parse(value, fix)]


def show_notes(ctx: click.Context, regions: list[Any]) -> None:
    """Tell the user what was changed while reading the regions (once the command worked)."""
    for note in dict.fromkeys(n for r in regions for n in r.notes):
        notice(ctx, f"note: {note}")


@click.command("region", context_settings={"ignore_unknown_options": True})
@click.argument("region", shell_complete=complete_files)
@region_fix_options
@click.option("--geojson", is_flag=True, help="Print the region as GeoJSON instead.")
@click.pass_context
def region_command(ctx: click.Context, region: str, geojson: bool, **params: Any) -> None:
    """Read and check REGION without creating anything: area, bounds, vertices.

    REGION is a file (GeoJSON, KML, KMZ, a zipped or bare shapefile, WKT,
    WKB), or GeoJSON, WKT or W,S,E,N text. Every problem is reported with what
    to do; changes happen only when a flag allows them, and are listed.

    \b
    Examples:
      eojobs region glasgow.geojson
      eojobs region -4.3,55.8,-4.2,55.9
      eojobs region fields.kmz --per-feature
      eojobs region roads.shp --buffer 50m --geojson > corridor.geojson
    """
    regions = read_regions(region, params)
    show_notes(ctx, regions)
    if geojson:
        import json

        features = [{"type": "Feature", "properties": {"source": r.source},
                     "geometry": r.to_geojson()} for r in regions]
        click.echo(json.dumps({"type": "FeatureCollection", "features": features}))
        return
    rows = [{"source": r.source, "type": r.geometry.geom_type, "area_km2": r.area_km2,
             "bounds": list(r.bounds), "vertices": r.vertex_count, "notes": list(r.notes)}
            for r in regions]

    def human() -> None:
        for row in rows:
            w, s, e, n = row["bounds"]
            click.echo(f"{row['source']}: {row['type']}, {row['area_km2']:,.2f} km², "
                       f"{row['vertices']:,} vertices, bounds {w:.5f},{s:.5f},{e:.5f},{n:.5f}")

    emit(ctx, rows if params.get("per_feature") else rows[0], human)


COMMANDS = [region_command]
