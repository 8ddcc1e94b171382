"""``lesson N``: walk a lesson interactively, or run it unattended with ``--auto``.

The Typer command (``commands/lesson.py``) calls :func:`run_lesson`. The form
scripts, CI and the benchmark use, ``lesson N --auto [--var NAME=VALUE]…``, is
also run without building the Typer app (:func:`quick_lesson`, from ``main.py``),
as ``lessons`` is: importing Typer and building the app is about 50 ms of every
start. Any other form (another option, a value Typer would refuse, ``--help``,
shell completion) goes to Typer, which answers it as before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys

from .consoles import LEARNER, out, state
from .prepare import load, make_target, store, var_error


def run_lesson(
    ref: str,
    *,
    auto: bool,
    json_lines: bool,
    var: list[str] | None,
    lab: str | None,
    target_url: str | None,
) -> int:
    """The lesson's exit code: 0 every step passed, 1 a step failed (or the learner quit)."""
    from hostnet.engine.errors import ExitCode
    from hostnet.engine.session import LessonSession

    from .render import JsonRenderer, TerminalRenderer

    chosen = load(ref, var)
    progress = store()
    target = make_target(lab, target_url)
    try:
        if auto or json_lines:
            renderer = JsonRenderer(sys.stdout) if json_lines else TerminalRenderer(out)
            session = LessonSession(
                chosen, target, emit=renderer, progress=progress, learner=LEARNER
            )
            passed = session.run_all()
        else:
            from hostnet.engine.netmap.live import map_event

            from .interactive import Walkthrough

            shown = TerminalRenderer(
                out, show_explanations=True, show_hints=False, interactive=True
            )
            session = LessonSession(chosen, target, emit=shown, progress=progress, learner=LEARNER)
            step_ids = [step.id for step in chosen.steps]
            walk = Walkthrough(
                session,
                out,
                prog=state.prog,
                show_map=lambda i: shown(map_event(step_ids[i], i + 1, target)),
            )
            saved = {k: v.status for k, v in progress.lesson(LEARNER, chosen.id).items()}
            passed = walk.run(start=walk.resume_point(saved))
    finally:
        target.close()
    return ExitCode.OK if passed else ExitCode.CHECK_FAILED


def quick_form(args: list[str]) -> tuple[str, list[str]] | None:
    """``(lesson, --var values)`` when ``args`` is ``lesson N --auto [--var NAME=VALUE]…``
    exactly, with nothing Typer would read otherwise; else None."""
    if "_HOSTNET_COMPLETE" in os.environ or len(args) < 3 or len(args) % 2 == 0:
        return None
    command, ref, auto, *rest = args
    if command != "lesson" or auto != "--auto" or ref.startswith("-") or not ref:
        return None
    pairs = list(zip(rest[::2], rest[1::2], strict=True))
    if any(flag != "--var" or value.startswith("-") or var_error(value) for flag, value in pairs):
        return None
    return ref, [value for _, value in pairs]


def quick_lesson(ref: str, var: list[str]) -> int:
    """:func:`run_lesson` as Typer runs the command: Ctrl-C exits 130 (silently),
    end of input prints "Aborted!" (exit 1), a closed stdout exits 1 quietly."""
    try:
        return run_lesson(ref, auto=True, json_lines=False, var=var, lab=None, target_url=None)
    except KeyboardInterrupt:
        return 130
    except EOFError:
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        _pacify_stdout()
        return 1


def _pacify_stdout() -> None:
    """Nothing more to a closed pipe: Python's flush at exit would complain."""
    with open(os.devnull, "w") as devnull, contextlib.suppress(OSError, ValueError):
        os.dup2(devnull.fileno(), sys.stdout.fileno())
