"""Registers the mock backend and its ``eojobs mock`` commands; imports stay light."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

import eojobs


@eojobs.hookimpl
def register_backends(register: Callable[..., None]) -> None:
    """Register the mock backend, imported only when it is used."""
    register("mock", "eojobs_mock.backend:MockBackend", "Offline simulated EO platform")


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
    from eojobs.cli.output import emit, price_text
    from eojobs_mock.backend import MockBackend

    conn = eojobs.connect("mock")
    backend = conn.backend
    assert isinstance(backend, MockBackend)
    if amount is not None:
        backend.platform.set_credits(amount)
    value = backend.platform.credits()
    emit(ctx, {"credits": value}, lambda: click.echo(price_text(value)))


class _Stop(Exception):
    """Raised by the SIGTERM handler to end ``serve``."""


#: Ten years: longer lifetimes overflow the token's expiry time.
MAX_TOKEN_LIFETIME_S = 10 * 365 * 86400


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
              type=click.FloatRange(min=1, max=MAX_TOKEN_LIFETIME_S),
              help="Seconds a login token stays valid.")
@click.option("--faults", metavar="SPEC", envvar="EOJOBS_MOCK_FAULTS",
              help="Fail some requests on purpose, as SPEC says (env EOJOBS_MOCK_FAULTS).")
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve HTTPS with this PEM certificate (chain); needs --tls-key.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The private key (PEM) of --tls-cert.")
def serve(host: str, port: int, email: str, password: str, token_lifetime: float,
          faults: str | None, tls_cert: Path | None, tls_key: Path | None) -> None:
    """Serve the mock platform over the Fusion Platform REST API.

    The server shares the mock platform's workspace: a process created over
    HTTP is a job of `eojobs -b mock jobs`, and the other way round. The
    official Fusion SDK and `eojobs -b fusion` (with EOJOBS_FUSION_API_URL
    set to the URL printed) work against it. The demo account defaults to
    the official SDK quick example's: me@org.com with password
    MyPassword123!. One line with the URL goes to stdout; requests are
    logged to stderr. Stop it with Ctrl-C.

    --tls-cert and --tls-key serve HTTPS (clients need the certificate, or
    the CA that signed it, to trust: REQUESTS_CA_BUNDLE for eojobs and the
    SDK, --cacert for curl).

    --faults SPEC makes the server fail some requests on purpose, to test
    clients. SPEC is a comma-separated list: SCOPE:KIND=RATE gives a kind of
    fault a rate from 0 to 1 in one scope, KIND=RATE in both, SCOPE=RATE
    spreads RATE over every kind of the scope; later items win. Scopes: api
    (the REST API) and blob (signed upload and download URLs). A request
    is faulted with the sum of its scope's rates, the kind drawn among those
    that apply to it. The same seed fails the same requests of a client
    that sends one at a time.

    \b
    Kinds:
      5xx       answer 502, 503 or 504 without handling the request
      429       answer 429 with a Retry-After header, without handling it
      reset     close the connection without an answer
      truncate  handle a GET, but cut its body short and close the connection
      slow      wait DELAY seconds, then handle the request
      expire    answer 401 and expire the bearer token (api only)
      lost      handle a POST or PATCH, then close the connection without an
                answer (api only, with posts=all)
    Settings:
      seed=N          makes a run repeatable (default: random, printed at start)
      delay=SECONDS   how long slow waits, at most 60 (default 1)
      retry-after=N   the seconds a 429 asks a client to wait (default 1)
      throttle=RATE   caps every download at RATE bytes/s, e.g. 8M (default none)
      posts=safe|all  safe (default): POST and PATCH only get 429, slow and
                      expire, which tell a client nothing happened; all: any kind,
                      lost too

    \b
    Examples:
      eojobs mock serve
      eojobs mock serve --port 0 --email demo@example.com --password 'S3cret-pass'
      eojobs mock serve --faults api=0.1,blob=0.1,seed=42
      eojobs mock serve --faults 'api:5xx=0.05,expire=0.02,blob:truncate=0.2,throttle=8M'
    """
    import logging
    import signal

    from eojobs.config import ensure_home
    from eojobs_mock.engine.accounts import password_problem
    from eojobs_mock.server.faults import FaultSpecError, parse_faults
    from eojobs_mock.server.runner import create_server, tls_context
    from eojobs_mock.server.state import ServerOptions

    problem = password_problem(password)
    if problem is not None:
        raise click.BadParameter(problem, param_hint="--password")
    try:
        plan = parse_faults(faults) if faults else None
    except FaultSpecError as error:
        raise eojobs.InputError(f"bad --faults SPEC: {error}") from None
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    try:
        context = tls_context(tls_cert, tls_key) if tls_cert and tls_key else None
    except (OSError, ValueError) as error:
        raise click.ClickException(f"cannot use the TLS certificate and key: {error}") from None
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger = logging.getLogger("eojobs_mock.server")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    home = ensure_home()
    try:
        server = create_server(home, host=host, port=port, options=ServerOptions(
            email=email, password=password, token_lifetime_s=token_lifetime), faults=plan,
            ssl_context=context)
    except OSError as error:
        reason = str(error.strerror or error).split(" (while attempting", 1)[0]
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from None

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    if plan is not None:
        click.echo(f"Injecting faults: {plan.describe()}", err=True)
    click.echo(f"Serving the mock platform at {server.url} as {email} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        server.state.platform.close()
