"""Commands that browse what is on offer: backends, services, one service."""

from __future__ import annotations

import json

import click

from eojobs.cli.output import emit, table


@click.command()
@click.pass_context
def backends(ctx: click.Context) -> None:
    """List installed backends and their capabilities.

    \b
    Example:
      eojobs backends
    """
    from eojobs.plugins import backend_classes

    found = backend_classes()
    data = [
        {
            "name": name,
            "title": cls.title,
            "implemented": cls.implemented,
            "capabilities": sorted(c.value for c in cls.features()),
        }
        for name, cls in found.items()
    ]

    def human() -> None:
        table(
            ["name", "status", "title", "capabilities"],
            [
                [d["name"], "ready" if d["implemented"] else "not yet implemented", d["title"],
                 d["capabilities"]]
                for d in data
            ],
        )

    emit(ctx, data, human)


@click.command()
@click.option("-s", "--search", help="Only services whose name, summary or keywords match.")
@click.pass_context
def services(ctx: click.Context, search: str | None) -> None:
    """List the services a backend offers.

    \b
    Example:
      eojobs services --search elevation
    """
    found = ctx.obj.connection().services(search=search)
    emit(
        ctx,
        lambda: [s.model_dump(mode="json") for s in found],
        lambda: table(["name", "id", "summary"], [[s.name, s.id, s.summary] for s in found]),
    )


@click.command()
@click.argument("name_or_id")
@click.pass_context
def service(ctx: click.Context, name_or_id: str) -> None:
    """Show one service: its options and inputs.

    NAME_OR_ID is an id, a name (in any case, or its first whole words), or a keyword;
    a shortening is taken only when one service fits.

    \b
    Example:
      eojobs service elevation
    """
    svc = ctx.obj.connection().service(name_or_id)

    def human() -> None:
        click.echo(f"{svc.name}  ({svc.id})")
        if svc.summary:
            click.echo(svc.summary)
        if svc.keywords:
            click.echo(f"keywords: {', '.join(svc.keywords)}")
        for key, value in svc.metadata.items():
            click.echo(f"{key}: {json.dumps(value, default=str)}")
        click.echo("\nOptions:")
        if svc.options:
            table(
                ["name", "type", "required", "default", "allowed", "description"],
                [[o.name, o.data_type.value, o.required, o.default, o.allowed, o.description]
                 for o in svc.options],
            )
        else:
            click.echo("  (none)")
        click.echo("\nInputs:")
        click.echo("  1  region (GeoJSON polygon), given with --region")
        for spec in svc.inputs:
            need = "required" if spec.required else "optional"
            click.echo(f"  {spec.number}  {spec.name} ({spec.file_type}, {need}) "
                       f"{spec.description}".rstrip())

    emit(ctx, lambda: svc.model_dump(mode="json"), human)


COMMANDS = [backends, services, service]
