"""Registers the mock backend and its ``eojobs mock`` commands; imports stay light."""

from __future__ import annotations

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
