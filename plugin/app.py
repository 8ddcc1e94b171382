"""The ``docker hostnet`` commands (Typer). Each command is a few lines over the engine."""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from hostnet.engine import __version__
from hostnet.engine.errors import ExitCode, HostnetError
from hostnet.engine.loader import find_lesson, load_all
from hostnet.engine.progress import ProgressStore
from hostnet.engine.runner import Runner
from hostnet.engine.targets import LocalTarget

from . import install as installer
from .render import JsonRenderer, TerminalRenderer

EXIT_CODES_HELP = (
    "Exit codes: 0 every step passed; 1 a step's verification failed; 2 bad command line; "
    "3 invalid or unknown lesson; 4 environment not ready (Docker unreachable, port in use, "
    "…); 130 interrupted (Ctrl-C)."
)

app = typer.Typer(
    name="hostnet",
    help="Learn Docker's host network driver hands-on: lessons that run real commands "
    "and verify the result on your machine.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,  # one error funnel in run(); locals may hold secrets
    rich_markup_mode=None,
)


@dataclass
class State:
    docker_flags: dict[str, str] = field(default_factory=dict)
    as_plugin: bool = False
    debug: bool = False


state = State()
# soft_wrap: long command output keeps its lines, as in a terminal.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        print(f"docker-hostnet {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state.debug = state.debug or debug


def _target() -> LocalTarget:
    return LocalTarget(
        docker_host=state.docker_flags.get("host") or None,
        context=state.docker_flags.get("context") or None,
    )


def _parse_vars(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name:
            raise typer.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--var")
        values[name] = value
    return values


@app.command("lessons")
def lessons_command() -> None:
    """List the lessons, with your progress."""
    store = ProgressStore()
    for lesson in load_all():
        done = store.lesson("local", lesson.id)
        passed = sum(1 for s in lesson.steps if s.id in done and done[s.id].status == "passed")
        if passed == len(lesson.steps):
            status = "done"
        elif done:
            status = f"step {passed + 1} of {len(lesson.steps)}"
        else:
            status = "not started"
        out.print(
            f"{lesson.number:>3}  {lesson.title}  [dim]({lesson.id}, ~{lesson.duration_minutes} min)[/]"
            f"  {status}"
        )


@app.command("lesson")
def lesson_command(
    ref: Annotated[str, typer.Argument(metavar="LESSON", help="Lesson number or id, e.g. 1.")],
    auto: Annotated[
        bool, typer.Option("--auto", help="Run every step for you and verify it (demos, CI).")
    ] = False,
    json_lines: Annotated[
        bool, typer.Option("--json", help="Print one JSON event per line.")
    ] = False,
    var: Annotated[
        list[str],
        typer.Option(
            "--var",
            metavar="NAME=VALUE",
            help="Set a lesson variable, e.g. --var image=hostnet/nginx-standin.",
        ),
    ] = [],  # noqa: B006 - Typer reads the default, never mutates it
) -> None:
    """Run a lesson on this machine's Docker engine and verify each step."""
    lesson = find_lesson(ref, values=_parse_vars(var))
    if not auto:
        raise HostnetError(
            "interactive lessons are not available yet",
            hint=f"run `docker hostnet lesson {ref} --auto`: the tool runs each step and verifies it",
        )
    renderer = JsonRenderer(sys.stdout) if json_lines else TerminalRenderer(out)
    target = _target()
    try:
        runner = Runner(lesson, target, emit=renderer, progress=ProgressStore())
        passed = runner.run()
    finally:
        target.close()
    if not passed:
        raise typer.Exit(ExitCode.CHECK_FAILED)


@app.command("install")
def install_command(
    system: Annotated[
        bool,
        typer.Option("--system", help=f"Install for every user into {installer.SYSTEM_DIR}."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a file that is not ours.")
    ] = False,
) -> None:
    """Install `docker hostnet` into the Docker CLI plugin directory."""
    path = installer.install(system=system, force=force)
    out.print(f"Installed {path}")
    out.print(installer.verify_listed())


@app.command("uninstall")
def uninstall_command(
    system: Annotated[
        bool, typer.Option("--system", help="Remove the system-wide plugin.")
    ] = False,
) -> None:
    """Remove `docker hostnet` from the Docker CLI plugin directory."""
    path = installer.uninstall(system=system)
    out.print(
        f"Removed {path}" if path else "docker-hostnet was not installed there; nothing to do"
    )


def run(args: list[str], *, docker_flags: dict[str, str], as_plugin: bool) -> int:
    """Run the app; the one place errors become messages and exit codes."""
    state.docker_flags = docker_flags
    state.as_plugin = as_plugin
    state.debug = "--debug" in args or os.environ.get("HOSTNET_DEBUG") == "1"
    prog = "docker hostnet" if as_plugin else "hostnet"
    try:
        with _interrupt_on_plugin_socket_eof():
            app(args=args, prog_name=prog)  # Typer exits through SystemExit
        return ExitCode.OK
    except SystemExit as exc:
        # Typer maps usage errors to 2 and Ctrl-C to 130 already.
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except HostnetError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
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
        return 70  # EX_SOFTWARE


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
