"""The ``docker hostnet`` app (Typer): commands live in ``commands/``, one module each;
``run`` is the one place where errors become messages and exit codes.

Building the app imports Typer and the command modules only: each command
imports the engine (and Rich) when it runs, so ``--help`` and shell completion
(the program runs on every Tab) never load the lesson model or the targets.
"""

from __future__ import annotations

import os

import typer

from . import shims
from .commands import COMMANDS, register_all
from .context import state
from .funnel import guarded, quiet_libraries

shims.install()  # Typer's start-up without pydantic's adapters or Rich where not needed

EXIT_CODES_HELP = (
    "Exit codes: 0 every step passed; 1 a step's verification failed; 2 bad command line; "
    "3 invalid or unknown lesson; 4 environment not ready (Docker unreachable, port in use, "
    "…); 130 interrupted (Ctrl-C)."
)


def _version(value: bool) -> None:
    if value:
        from hostnet.engine import __version__

        print(f"docker-hostnet {__version__}")
        raise typer.Exit()


def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    state.debug = state.debug or debug


def build(only: str | None = None) -> typer.Typer:
    """The app; with ``only``, just that command under the same root (its options,
    help and errors are the same), since Typer builds every command's options on
    each start and a learner runs one command at a time."""
    made = typer.Typer(
        name="hostnet",
        help="Learn Docker's host network driver hands-on: lessons that run real commands "
        "and verify the result on your machine.\n\n" + EXIT_CODES_HELP,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,  # one error funnel in run(); locals may hold secrets
        rich_markup_mode=None,
    )
    made.callback()(_main)
    register_all(made, only=only)
    return made


app = build()


def _app_for(args: list[str]) -> typer.Typer:
    """Only the command ``args`` name (after ``--debug``, the one root option that
    may come before it), else the whole app (``--help``, completion, a typo)."""
    rest = args[1:] if args[:1] == ["--debug"] else args
    return build(only=rest[0]) if rest and rest[0] in COMMANDS else app


def run(args: list[str], *, docker_flags: dict[str, str], as_plugin: bool) -> int:
    """Run the app; errors become messages and exit codes in :func:`.funnel.guarded`."""
    state.docker_flags = docker_flags
    state.as_plugin = as_plugin
    state.debug = "--debug" in args or os.environ.get("HOSTNET_DEBUG") == "1"
    quiet_libraries(state.debug)
    prog = state.prog
    # Typer exits through SystemExit
    return guarded(lambda: _app_for(args)(args=args, prog_name=prog))
