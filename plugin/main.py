"""Entry point of ``docker-hostnet`` and ``hostnet``.

The Docker CLI runs ``docker-hostnet docker-cli-plugin-metadata`` before every
``docker hostnet …`` and for every ``docker --help``, so that answer comes
first and imports nothing but the standard library. Everything heavy (Typer,
the docker SDK, the engine) is imported only for a real command. ``lessons``,
the first command a learner types, is answered without Typer as well, and so is
``lesson N --auto`` as scripts, CI and the benchmark run it (``lessonrun.py``).
"""

from __future__ import annotations

import json
import os
import sys
from typing import NoReturn

from .protocol import HOOK_COMMAND, METADATA_COMMAND, PLUGIN_NAME, hook_response, metadata

# docker's global flags that take a value (docker/cli cli/flags); they reach a
# plugin in argv: `docker --context lab hostnet lesson 1`.
_VALUE_FLAGS = {
    "-c": "context",
    "--context": "context",
    "-H": "host",
    "--host": "host",
    "--config": "config",
    "-l": "log-level",
    "--log-level": "log-level",
    "--tlscacert": "tlscacert",
    "--tlscert": "tlscert",
    "--tlskey": "tlskey",
}


def split_docker_argv(argv: list[str]) -> tuple[dict[str, str], list[str]] | None:
    """``(docker global flags, our args)`` when run by the Docker CLI, else None.

    As a plugin, argv[1:] is everything typed after ``docker``: global flags,
    then ``hostnet``, then our own arguments.
    """
    args = argv[1:]
    if PLUGIN_NAME not in args:
        return None
    flags: dict[str, str] = {}
    i = 0
    while i < len(args) and args[i] != PLUGIN_NAME:
        arg = args[i]
        name, eq, value = arg.partition("=")
        if name in _VALUE_FLAGS:
            if not eq:
                i += 1
                value = args[i] if i < len(args) else ""
            flags[_VALUE_FLAGS[name]] = value
        elif not arg.startswith("-"):
            return None  # a positional before "hostnet": not the plugin calling convention
        i += 1
    return flags, args[i + 1 :]


def entry() -> NoReturn:
    """The programs ``hostnet`` and ``docker-hostnet``: :func:`main`, then :func:`finish`."""
    try:
        main()
    except SystemExit as exc:
        if exc.code is not None and not isinstance(exc.code, int):
            raise  # a message: Python prints it and exits 1, as ever
        finish(exc.code or 0)
    finish(0)


def finish(code: int) -> NoReturn:
    """Exit with ``code`` without tearing the interpreter down, which took 30 to 90 ms
    of ``lesson 1 --auto``'s 500 to 600 (freeing the objects of hundreds of modules).

    What an exit does for the program still happens: the output is flushed and the
    ``atexit`` handlers run. While another thread is still at work, or the output
    cannot be flushed (a closed pipe), it is Python's own exit, as before."""
    threading = sys.modules.get("threading")  # (not imported: no other thread was started)
    if threading is not None and any(
        t.is_alive() and not t.daemon and t is not threading.main_thread()
        for t in threading.enumerate()
    ):
        sys.exit(code)  # Python's exit waits for them
    import atexit

    atexit._run_exitfuncs()  # (then forgotten: never run twice)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(code)  # Python's exit says so as it always did
    os._exit(code)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if argv[1:2] == [METADATA_COMMAND]:
        json.dump(metadata(), sys.stdout)
        sys.stdout.write("\n")
        return
    if argv[1:3] == [PLUGIN_NAME, HOOK_COMMAND]:
        response = hook_response(argv[3] if len(argv) > 3 else "")
        if response is not None:
            json.dump(response, sys.stdout)
        return
    docker_flags: dict[str, str] = {}
    args = argv[1:]
    as_plugin = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND" in os.environ or argv[1:2] == [PLUGIN_NAME]
    if as_plugin and (split := split_docker_argv(argv)) is not None:
        docker_flags, args = split
    if args in (["lessons"], ["lessons", "--json"]):
        sys.exit(_lessons(as_json=len(args) == 2, as_plugin=as_plugin))
    from .lessonrun import quick_form

    if (quick := quick_form(args)) is not None:  # lesson N --auto [--var NAME=VALUE]…
        sys.exit(_lesson(*quick, docker_flags=docker_flags, as_plugin=as_plugin))
    from .app import run  # heavy imports start here

    sys.exit(run(args, docker_flags=docker_flags, as_plugin=as_plugin))


def _lessons(*, as_json: bool, as_plugin: bool) -> int:
    """``lessons`` as a learner types it, without building the Typer app (half of its
    start-up): the same listing and the same error funnel as ``app.run``."""
    from .consoles import state
    from .funnel import guarded
    from .listing import list_lessons

    state.as_plugin = as_plugin
    state.debug = os.environ.get("HOSTNET_DEBUG") == "1"
    return guarded(lambda: list_lessons(as_json=as_json))


def _lesson(ref: str, var: list[str], *, docker_flags: dict[str, str], as_plugin: bool) -> int:
    """``lesson N --auto`` without building the Typer app: what ``app.run`` sets up,
    the same error funnel, the command's exit code as Typer gives it."""
    from .consoles import state
    from .funnel import guarded, quiet_libraries
    from .lessonrun import quick_lesson

    state.docker_flags = docker_flags
    state.as_plugin = as_plugin
    state.debug = os.environ.get("HOSTNET_DEBUG") == "1"  # (--debug goes to Typer)
    quiet_libraries(state.debug)

    def action() -> None:
        raise SystemExit(quick_lesson(ref, var))

    return guarded(action)


if __name__ == "__main__":
    main()
