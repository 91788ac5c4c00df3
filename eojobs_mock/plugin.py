"""Registers the mock backend and its ``eojobs mock`` commands; imports stay light."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[[Any], None]) -> None:
    """Register the mock backend."""
    from eojobs_mock.backend import MockBackend

    register(MockBackend)


@eojobs.hookimpl
def register_commands(cli: click.Group) -> None:
    """Add the ``eojobs mock`` group."""
    cli.add_command(mock)


@click.group()
def mock() -> None:
    """Manage the offline mock platform.

    \b
    Examples:
      eojobs mock credits
      eojobs mock credits --set 5000
      eojobs mock serve --port 8765
    """


@mock.command()
@click.option("--set", "amount", type=float, help="Set the account's credits to AMOUNT.")
@click.pass_context
def credits(ctx: click.Context, amount: float | None) -> None:
    """Show or set the credits of the mock account."""
    from eojobs.cli.output import emit
    from eojobs_mock.backend import MockBackend

    conn = eojobs.connect("mock")
    backend = conn.backend
    assert isinstance(backend, MockBackend)
    if amount is not None:
        backend.platform.set_credits(amount)
    value = backend.platform.credits()
    emit(ctx, {"credits": value}, lambda: click.echo(f"{value:g} credits"))


class _Stop(Exception):
    """Raised by the SIGTERM handler to end ``serve``."""


@mock.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free port.")
@click.option("--email", default="me@org.com", show_default=True,
              help="E-mail address of the demo account.")
@click.option("--password", default="MyPassword123!", show_default=True,
              help="Password of the demo account (8+ characters with upper and lower case, "
                   "a digit and a special character).")
@click.option("--token-lifetime", default=86400.0, show_default=True,
              type=click.FloatRange(min=1), help="Seconds a login token stays valid.")
def serve(host: str, port: int, email: str, password: str, token_lifetime: float) -> None:
    """Serve the mock platform over the Fusion Platform REST API.

    The server shares the mock platform's workspace: a process created over
    HTTP is a job of `eojobs -b mock jobs`, and the other way round. The
    official Fusion SDK and `eojobs -b fusion` (with EOJOBS_FUSION_API_URL
    set to the URL printed) work against it. The demo account defaults to
    the official SDK quick example's: me@org.com with password
    MyPassword123!. One line with the URL goes to stdout; requests are
    logged to stderr. Stop it with Ctrl-C.

    \b
    Examples:
      eojobs mock serve
      eojobs mock serve --port 0 --email demo@example.com --password 'S3cret-pass'
    """
    import logging
    import signal

    from eojobs.config import ensure_home
    from eojobs_mock.engine.accounts import password_problem
    from eojobs_mock.server.runner import create_server
    from eojobs_mock.server.state import ServerOptions

    problem = password_problem(password)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="--password")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("eojobs_mock.server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        server = create_server(ensure_home(), host=host, port=port, options=ServerOptions(
            email=email, password=password, token_lifetime_s=token_lifetime))
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"Serving the mock platform at {server.url} as {email} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        server.state.platform.close()
