"""``eojobs search``: the scenes a job would fetch, listed without downloading anything."""

from __future__ import annotations

from typing import Any

import click

from eojobs.cli.common import local_time, option_notices, parse_option_pairs
from eojobs.cli.output import emit, human_size, notice, table
from eojobs.cli.regions import complete_files, read_regions, region_fix_options, show_notes


@click.command()
@click.argument("service")
@click.option("-r", "--region", required=True, shell_complete=complete_files,
              help="A region file (GeoJSON, KML, KMZ, zipped or bare shapefile, WKT, WKB), "
                   "GeoJSON or WKT text, or a bbox W,S,E,N in degrees.")
@region_fix_options
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="A search option (start_date, end_date, max_cloud, limit, assets, "
                   "filter); repeat for more.")
@click.pass_context
def search(ctx: click.Context, service: str, region: str, options: tuple[str, ...],
           **params: Any) -> None:
    """List the scenes of SERVICE over a region that a job would fetch, fetching nothing.

    On catalogue backends (stac) SERVICE is a collection. The region and
    options are checked as for `eojobs run`; backends that cannot search
    say so before anything is sent.

    \b
    Examples:
      eojobs -b stac search sentinel-2-l2a -r glasgow.geojson \\
          -o start_date=2024-05-01 -o end_date=2024-06-01 -o max_cloud=20
      eojobs -b stac search sentinel-2-l2a -r -4.3,55.8,-4.2,55.9 -o assets=B04,B08 --json
    """
    if params.get("per_feature"):
        raise click.UsageError("--per-feature makes several regions; search takes one")
    connection = ctx.obj.connection()
    with option_notices(ctx):
        [parsed] = read_regions(region, params)
        scenes = connection.search(service, parsed, parse_option_pairs(options))
    show_notes(ctx, [parsed])
    if not scenes:
        notice(ctx, "no scenes match")

    def human() -> None:
        table(["id", "date", "cloud", "assets", "size"],
              [[s.id, local_time(s.time), "-" if s.cloud_cover is None else f"{s.cloud_cover:g}%",
                ",".join(s.assets), human_size(s.size)] for s in scenes])

    emit(ctx, lambda: [s.model_dump(mode="json") for s in scenes], human)


COMMANDS = [search]
