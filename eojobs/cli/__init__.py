"""The ``eojobs`` command line: one root group; commands live in sibling modules."""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import click

from eojobs.errors import EOJobsError

if TYPE_CHECKING:
    from eojobs.connection import Connection

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 88,
                    "terminal_width": 88}


@dataclass
class State:
    """What the global options set, and the connection opened on first use."""

    backend: str | None
    json: bool
    quiet: bool
    verbose: int = 0
    _connection: Any = field(default=None, repr=False)

    def connection(self) -> Connection:
        """The connection to the chosen backend, opened once."""
        if self._connection is None:
            from eojobs.connection import connect

            self._connection = connect(self.backend)
        return self._connection

    @property
    def progress(self) -> bool:
        """Whether progress bars may show (tqdm also hides them off a terminal)."""
        return not (self.quiet or self.json)


class UsageLine(click.UsageError):
    """A usage error shown as one ``error:`` line, like every other error, naming the help."""

    @classmethod
    def of(cls, error: click.UsageError) -> UsageLine:
        """The same error, shown in one line."""
        if isinstance(error, cls):
            return error
        message = error.format_message()
        command = error.ctx.info_name if error.ctx is not None else None
        if message.startswith("Got unexpected extra argument") and command in ("run", "create"):
            message = (f"{message.rstrip('.')}: quote a service name that has spaces "
                       "(\"Vegetation Index\"), and give the region with --region")
        line = cls(message, error.ctx)
        line.exit_code = error.exit_code
        return line

    def show(self, file: Any = None) -> None:
        """``error: MESSAGE; see 'eojobs COMMAND --help'`` on stderr."""
        names, ctx = [], self.ctx
        while ctx is not None and ctx.parent is not None:
            names.insert(0, ctx.info_name or "")
            ctx = ctx.parent
        where = " ".join(["eojobs", *names])
        message = self.format_message().rstrip(".")
        click.echo(f"error: {message}; see '{where} --help'", err=True)


class EOJobsGroup(click.Group):
    """A group that turns every EOJobsError into one line on stderr and an exit code."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Refuse an argument that is not UTF-8 (a file name in another encoding) in one line."""
        for arg in args:
            if not _is_utf8(arg):
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                click.echo(f"error: the argument '{shown}' is not valid UTF-8; eojobs takes "
                           "names and paths in UTF-8 only (rename the file or folder)", err=True)
                ctx.exit(2)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise UsageLine.of(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; translate library errors."""
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise UsageLine.of(exc) from None
        except BrokenPipeError:
            _quiet_stdout()
            ctx.exit(0)
        except EOJobsError as exc:
            from eojobs.cli.hints import error_text, next_step
            from eojobs.redact import redact_text

            step = next_step(ctx, exc)
            from eojobs.naming import printable

            said = (getattr(exc, "facts", None) if step else None) or error_text(exc)
            click.echo(printable(redact_text(f"error: {said}{'; ' + step if step else ''}")),
                       err=True)
            for line in getattr(exc, "logs", [])[-5:]:
                click.echo(printable(redact_text(f"  {line.component}: {line.message}")),
                           err=True)
            ctx.exit(exc.exit_code)
        except OSError as exc:
            from eojobs.naming import printable
            from eojobs.redact import redact_text

            where = f": {exc.filename}" if exc.filename else ""
            click.echo(printable(redact_text(f"error: {exc.strerror or exc}{where}")), err=True)
            ctx.exit(1)
        except UnicodeEncodeError as exc:
            if "surrogates" not in str(exc.reason):
                raise
            click.echo("error: a name or path is not valid UTF-8; eojobs takes names and "
                       "paths in UTF-8 only (check EOJOBS_HOME and the files given)", err=True)
            ctx.exit(2)


def _is_utf8(text: str) -> bool:
    """False for text holding bytes that did not decode (surrogate escapes)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _set_global(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Record a global option given after the command name on the root's State."""
    if value is None or value is False or ctx.resilient_parsing:
        return
    state = ctx.find_root().obj
    if state is not None:
        setattr(state, param.name or "", value)


def _add_verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    """Count a ``-v`` given after the command name too, and show the log from then on."""
    if not value or ctx.resilient_parsing:
        return
    state = ctx.find_root().obj
    if state is not None:
        state.verbose += value
        _show_log(state)


def _show_log(state: State) -> None:
    """Show the log on stderr at the level ``-v`` and ``EOJOBS_LOG`` ask for (warnings always)."""
    import os

    from eojobs.logs import LOG_ENV, enable, level_from

    enable(level_from(state.verbose, os.environ.get(LOG_ENV)))


_VERBOSE_HELP = ("Show what eojobs does on stderr: -v each request, -vv also debug detail "
                 "(env EOJOBS_LOG=debug|info|warning).")
_BACKEND_HELP = ("Backend to use (env EOJOBS_BACKEND, or `backend` in config.toml; "
                 "default: mock).")
_GLOBAL_OPTIONS = (
    (("-b", "--backend"), {"help": _BACKEND_HELP}),
    (("--json", "json"), {"is_flag": True, "help": "Print machine-readable JSON on stdout."}),
    (("-q", "--quiet"), {"is_flag": True, "help": "No progress bars or notices."}),
    (("-v", "--verbose"), {"count": True, "help": _VERBOSE_HELP, "callback": _add_verbosity}),
)


@click.group(cls=EOJobsGroup, context_settings=CONTEXT_SETTINGS)
@click.option("-b", "--backend", envvar="EOJOBS_BACKEND", help=_BACKEND_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or notices.")
@click.option("-v", "--verbose", count=True, help=_VERBOSE_HELP)
@click.version_option(package_name="eojobs", prog_name="eojobs")
@click.pass_context
def cli(ctx: click.Context, backend: str | None, as_json: bool, quiet: bool,
        verbose: int) -> None:
    """Run Earth-observation processing jobs on any platform.

    The default backend is the offline mock platform, so every command works
    without an account. The options below may also come after the command
    (eojobs jobs --json).

    \b
    Examples:
      eojobs services --search elevation
      eojobs run elevation --region glasgow.geojson --download out/
      eojobs jobs --json -b mock
    """
    from eojobs.logs import disable

    ctx.obj = State(backend=backend, json=as_json, quiet=quiet, verbose=verbose)
    ctx.call_on_close(disable)
    _show_log(ctx.obj)
    ctx.call_on_close(lambda: ctx.obj._connection and ctx.obj._connection.close())


def _add_commands() -> None:
    from eojobs.cli import account, batch, catalogue, create, jobs, regions, run, search
    from eojobs.plugins import call_each

    for module in (account, catalogue, regions, create, run, search, jobs, batch):
        for command in module.COMMANDS:
            cli.add_command(command)
    call_each("register_commands", cli=cli)
    for command in cli.commands.values():
        _accept_global_options(command)


def _accept_global_options(command: click.Command) -> None:
    """Let the global options follow the command name too, as in ``eojobs jobs -q``."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_global_options(sub)
        return
    taken = {opt for param in command.params for opt in (*param.opts, param.name)}
    for decls, attrs in _GLOBAL_OPTIONS:
        if taken.isdisjoint(decls) and decls[-1].lstrip("-") not in taken:
            command.params.append(click.Option(list(decls), expose_value=False, hidden=True,
                                               **{"callback": _set_global, **attrs}))


def _quiet_stdout() -> None:
    """After the reader of stdout went away (``| head``), send the rest nowhere, quietly."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="eojobs")


def _warn(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
    from eojobs.config import ConfigWarning
    from eojobs.plugins import PluginWarning

    if issubclass(category, (PluginWarning, ConfigWarning)):
        click.echo(f"warning: {message}", err=True)
    else:
        _show_warning(message, category, *args, **kwargs)


_show_warning = warnings.showwarning
warnings.showwarning = _warn
_add_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
