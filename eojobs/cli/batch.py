"""``eojobs batch``: campaigns of many jobs, one per region, kept in a folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from eojobs.cli.common import parse_option_pairs, plural
from eojobs.cli.output import emit, notice, table

if TYPE_CHECKING:
    from eojobs.batch import Campaign

_DIR = click.option("-d", "--dir", "directory", required=True,
                    type=click.Path(file_okay=False, path_type=Path),
                    help="The campaign's folder: its state, its downloads and a summary.")
#: Where a campaign shared by several machines keeps its state.
_DB = click.option("--db", metavar="URL", envvar="EOJOBS_BATCH_DB",
                   help="A PostgreSQL URL (postgresql://...) that holds the campaign's state, "
                        "so runners on several machines share it (env EOJOBS_BATCH_DB); by "
                        "default the state is in DIR.")


@click.group()
def batch() -> None:
    """Run one service over many regions: one job per feature, row or file.

    A campaign lives in a folder: its state (campaign.db), one sub-folder of
    files per row, and summary.json. Running it again goes on where it ended,
    after a crash too, and never submits a row twice.

    \b
    Examples:
      eojobs batch run elevation --regions fields.geojson --dir fields/ --download
      eojobs batch status fields/
      eojobs batch add fields/ --regions more-fields.csv
      eojobs batch retry fields/ --failed
      eojobs batch stop fields/
    """


@batch.command("run")
@click.argument("service")
@click.option("-r", "--regions", required=True, type=click.Path(path_type=Path),
              help="A FeatureCollection, a folder of region files, or a CSV with a wkt or "
                   "bbox column (other columns are per-row options).")
@_DIR
@click.option("-o", "--option", "options", multiple=True, metavar="NAME=VALUE",
              help="An option of every job; repeat for more.")
@click.option("--download", is_flag=True, help="Download each job's files as it finishes.")
@click.option("--max-running", type=click.IntRange(1, 10_000), default=20, show_default=True,
              help="Jobs running at once, per backend.")
@click.option("--max-downloads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Jobs downloading at once, per backend.")
@click.option("--retries", type=click.IntRange(0, 100), default=2, show_default=True,
              help="Times a failed job is tried again.")
@click.option("--poll-interval", type=click.FloatRange(min=0.001), default=None,
              help="Seconds between status checks (default: the backend's).")
@_DB
@click.option("--name", help="The campaign's name (default: the service's); runners that "
                             "share a --db join the campaign of that name.")
@click.pass_context
def run_campaign(ctx: click.Context, service: str, regions: Path, directory: Path,
                 options: tuple[str, ...], download: bool, max_running: int,
                 max_downloads: int, retries: int, poll_interval: float | None,
                 db: str | None, name: str | None) -> None:
    """Run SERVICE once per region of --regions, in the campaign folder --dir.

    If the folder holds the campaign already, it goes on (adding regions it
    lacks); a campaign of another service there is refused.

    \b
    Examples:
      eojobs batch run elevation --regions fields.geojson --dir fields/ --download
      eojobs batch run "Vegetation Index" -r tiles.csv -d tiles/ -o index=evi
    """
    from eojobs.batch import Campaign

    state = ctx.find_root().obj
    given = parse_option_pairs(options)
    with Campaign.create_or_open(directory, service, regions, given, state.backend, name,
                                 db) as campaign:
        _run(ctx, campaign, download=download, max_running=max_running,
             max_downloads=max_downloads, retries=retries, poll_interval=poll_interval)


def _run(ctx: click.Context, campaign: Campaign, **settings: Any) -> None:
    state = ctx.find_root().obj
    try:
        paused = campaign.run(progress=state.progress, **settings)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted; the campaign is kept. Go on with: eojobs batch run "
                   f"{campaign.info.service!r} --regions ... --dir {campaign.directory}",
                   err=True)
        ctx.exit(130)
    summary = campaign.summary()
    emit(ctx, summary, lambda: _report(ctx, summary))
    if paused:
        click.echo(f"error: {paused}", err=True)
        ctx.exit(1)
    if summary["counts"]["failed"]:
        ctx.exit(1)


def _report(ctx: click.Context, summary: dict[str, Any]) -> None:
    counts = summary["counts"]
    shown = ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    click.echo(f"{summary['name']}: {shown or 'no rows'}")
    for failure in summary["failed"]:
        click.echo(f"failed: {failure['key']}: {failure['error']}")
    if any(d["folder"] for d in summary["done"]):
        notice(ctx, f"files are in {summary['directory']}/<row key>/; "
                    f"summary in {summary['directory']}/summary.json")


@batch.command("status")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--rows", "show_rows", is_flag=True, help="List every row, not only the counts.")
@_DB
@click.pass_context
def status(ctx: click.Context, directory: Path, db: str | None, show_rows: bool) -> None:
    """Show how many rows of the campaign in DIRECTORY are in each state.

    \b
    Examples:
      eojobs batch status fields/
      eojobs batch status fields/ --rows --json
    """
    from eojobs.batch import Campaign

    with Campaign.open(directory, db) as campaign:
        counts = campaign.status()
        rows = [r.as_dict() for r in campaign.rows()] if show_rows else None
        info = campaign.info
    data: dict[str, Any] = {"campaign": info.id, "name": info.name, "service": info.service,
                            "backend": info.backend, "paused": info.paused, "counts": counts}
    if rows is not None:
        data["rows"] = rows

    def human() -> None:
        click.echo(f"{info.name}: {info.service} on {info.backend}"
                   + (f" ({info.paused})" if info.paused else ""))
        table(["state", "rows"], [[s, n] for s, n in counts.items()])
        if rows is not None:
            click.echo()
            table(["key", "state", "attempts", "job", "error"],
                  [[r["key"], r["state"], r["attempts"], r["job_id"], r["error"]] for r in rows])

    emit(ctx, data, human)


@batch.command("add")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("-r", "--regions", required=True, type=click.Path(path_type=Path),
              help="More regions: a FeatureCollection, a folder of region files, or a CSV.")
@_DB
@click.pass_context
def add(ctx: click.Context, directory: Path, regions: Path, db: str | None) -> None:
    """Add rows to the campaign in DIRECTORY; a running campaign picks them up.

    Every new row is checked first; none is added if one is bad or its key
    is in the campaign already.

    \b
    Example:
      eojobs batch add fields/ --regions more-fields.geojson
    """
    from eojobs.batch import Campaign

    with Campaign.open(directory, db) as campaign:
        added = campaign.add(regions)
    emit(ctx, {"added": added}, lambda: click.echo(f"added {plural(added, 'row')}"))


@batch.command("retry")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--failed", "failed_only", is_flag=True,
              help="Queue only failed rows again, not stopped ones.")
@_DB
@click.pass_context
def retry(ctx: click.Context, directory: Path, failed_only: bool, db: str | None) -> None:
    """Queue the failed and stopped rows of the campaign in DIRECTORY again.

    They run at the next `eojobs batch run`, with a fresh retry budget.

    \b
    Example:
      eojobs batch retry fields/ --failed
    """
    from eojobs.batch import Campaign

    with Campaign.open(directory, db) as campaign:
        count = campaign.retry(failed_only=failed_only)
    emit(ctx, {"requeued": count}, lambda: click.echo(f"queued {plural(count, 'row')} again"))


@batch.command("stop")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_DB
@click.pass_context
def stop(ctx: click.Context, directory: Path, db: str | None) -> None:
    """Stop the jobs the campaign in DIRECTORY started, and its runners.

    Their rows are marked stopped; `eojobs batch retry` queues them again.

    \b
    Example:
      eojobs batch stop fields/
    """
    from eojobs.batch import Campaign

    with Campaign.open(directory, db) as campaign:
        count = campaign.stop()
    emit(ctx, {"stopped": count}, lambda: click.echo(f"stopped {plural(count, 'job')}"))


COMMANDS = [batch]
