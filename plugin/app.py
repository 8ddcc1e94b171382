"""The ``docker hostnet`` app (Typer): commands live in ``commands/``, one module each;
``run`` is the one place where errors become messages and exit codes."""

from __future__ import annotations

import logging
import os
import traceback

import typer
from rich.markup import escape

from hostnet.engine import __version__
from hostnet.engine.errors import ExitCode, HostnetError

from .commands import register_all
from .context import err, state
from .render import hang

EXIT_CODES_HELP = (
    "Exit codes: 0 every step passed; 1 a step's verification failed; 2 bad command line; "
    "3 invalid or unknown lesson; 4 environment not ready (Docker unreachable, port in use, "
    "…); 130 interrupted (Ctrl-C)."
)


def _version(value: bool) -> None:
    if value:
        print(f"docker-hostnet {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="hostnet",
    help="Learn Docker's host network driver hands-on: lessons that run real commands "
    "and verify the result on your machine.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,  # one error funnel in run(); locals may hold secrets
    rich_markup_mode=None,
)


@app.callback()
def _main(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    state.debug = state.debug or debug


register_all(app)


def _quiet_libraries(debug: bool) -> None:
    """Libraries' log records stay out of the learner's terminal: paramiko logs an
    unreachable lab with a traceback (Python's last-resort handler would print it)
    while the engine already reports it as one error line. --debug shows them."""
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    else:
        logging.getLogger().addHandler(logging.NullHandler())


def run(args: list[str], *, docker_flags: dict[str, str], as_plugin: bool) -> int:
    """Run the app; the one place errors become messages and exit codes."""
    state.docker_flags = docker_flags
    state.as_plugin = as_plugin
    state.debug = "--debug" in args or os.environ.get("HOSTNET_DEBUG") == "1"
    _quiet_libraries(state.debug)
    prog = state.prog
    try:
        with _interrupt_on_plugin_socket_eof():
            app(args=args, prog_name=prog)  # Typer exits through SystemExit
        return ExitCode.OK
    except SystemExit as exc:
        # Typer maps usage errors to 2 and Ctrl-C to 130 already.
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except HostnetError as exc:
        hang(err, "[bold red]error:[/] ", exc.message)
        if exc.hint:
            hang(err, "hint: ", exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted")
        return ExitCode.INTERRUPTED
    except Exception as exc:
        if state.debug:
            traceback.print_exc()
        else:
            err.print(
                f"[bold red]internal error:[/] {escape(repr(exc))}\n"
                "This is a bug in docker-hostnet; run again with --debug for the traceback."
            )
        return ExitCode.INTERNAL


class _interrupt_on_plugin_socket_eof:
    """Without a terminal, the Docker CLI signals Ctrl-C by closing the plugin socket.

    docker/cli connects plugins to ``DOCKER_CLI_PLUGIN_SOCKET`` (an abstract
    unix socket on Linux, written ``@name``); EOF there means "stop", which we
    turn into SIGINT so the same cleanup path runs.
    """

    def __enter__(self) -> None:
        import signal
        import socket
        import threading

        address = os.environ.get("DOCKER_CLI_PLUGIN_SOCKET")
        if not address:
            return
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect("\0" + address[1:] if address.startswith("@") else address)
        except OSError:
            sock.close()
            return

        def watch() -> None:
            try:
                while sock.recv(1):
                    pass
            except OSError:
                pass
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=watch, name="plugin-socket", daemon=True).start()

    def __exit__(self, *exc: object) -> None:
        return None
