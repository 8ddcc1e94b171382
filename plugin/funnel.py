"""The one place errors become messages and exit codes, for every command.

Standard library at import: ``hostnet lessons`` runs through here without Typer
(``main.py``), and every other command through the Typer app (``app.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .consoles import err, state


def guarded(action: Callable[[], object]) -> int:
    """Run ``action``; its errors become one message (and a hint) and an exit code."""
    try:
        with _interrupt_on_plugin_socket_eof():
            action()
        return 0  # ExitCode.OK
    except SystemExit as exc:
        # Typer maps usage errors to 2 and Ctrl-C to 130 already.
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        from hostnet.engine.errors import ExitCode

        err.print("interrupted")
        return ExitCode.INTERRUPTED
    except Exception as exc:
        return _failed(exc)


def quiet_libraries(debug: bool) -> None:
    """Libraries' log records stay out of the learner's terminal: paramiko logs an
    unreachable lab with a traceback (Python's last-resort handler would print it)
    while the engine already reports it as one error line. --debug shows them."""
    import logging

    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    else:
        logging.getLogger().addHandler(logging.NullHandler())


def _failed(exc: Exception) -> int:
    """A user's or the environment's error as one line and a hint; anything else is a bug."""
    from rich.markup import escape

    from hostnet.engine.errors import ExitCode, HostnetError

    from .render import hang

    if isinstance(exc, HostnetError):
        hang(err, "[bold red]error:[/] ", exc.message)
        if exc.hint:
            hang(err, "hint: ", exc.hint)
        return exc.exit_code
    if state.debug:
        import traceback

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
        address = os.environ.get("DOCKER_CLI_PLUGIN_SOCKET")
        if not address:
            return
        import signal
        import socket
        import threading

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
