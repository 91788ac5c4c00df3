"""Commands about the account: log in and credits."""

from __future__ import annotations

import click

from eojobs.cli.output import emit, notice, price_text


@click.command()
@click.argument("backend")
@click.pass_context
def login(ctx: click.Context, backend: str) -> None:
    """Log in to BACKEND and cache its access token (never the password).

    Asks for the settings the backend needs that are not already set in the
    environment or profile, hiding secrets. The token is kept in a 0600 file
    in the user directory until it expires.

    \b
    Example:
      eojobs login fusion
    """
    from eojobs.config import resolve_settings, setting_fields
    from eojobs.connection import backend_class, connect

    found = backend_class(backend)
    backend = found.name  # the profile and the environment know it by its own name
    # Bad settings fail before any prompt.
    settings = resolve_settings(backend, found.settings_model, {})
    given: dict[str, object] = {}
    fields = setting_fields(found.settings_model)
    for name in found.login_prompts(settings):
        secret = "SecretStr" in str(fields[name])
        given[name] = click.prompt(name.replace("_", " ").capitalize(), hide_input=secret,
                                   err=True)
    with connect(backend, **given) as conn:
        who = conn.backend.login(lambda text: click.echo(text, err=True))
    notice(ctx, f"logged in to {backend} as {who}; the token is cached, not the password")
    emit(ctx, {"backend": backend, "user": who}, lambda: None)


@click.command()
@click.pass_context
def credits(ctx: click.Context) -> None:
    """Show the credits of the account on the backend.

    \b
    Example:
      eojobs -b fusion credits
    """
    value = ctx.obj.connection().credits()
    emit(ctx, {"credits": value}, lambda: click.echo(price_text(value)))


COMMANDS = [login, credits]
