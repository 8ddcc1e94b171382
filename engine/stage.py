"""Before and after a lesson's steps, on its target: the prerequisites, the
starting state (``setup:``) and the cleanup."""

from __future__ import annotations

from collections.abc import Callable

from . import events as ev
from .checks import CheckContext
from .commands import CommandResult
from .errors import TargetError
from .model import Lesson
from .outcomes import PrerequisiteFailed, SetupFailed
from .signals import sigint_deferred
from .targets import Target, target_now

CLEANUP_TIMEOUT = 60.0
SETUP_TIMEOUT = 120.0


class Stage:
    def __init__(self, lesson: Lesson, target: Target, emit: Callable[[ev.Event], None]) -> None:
        self._lesson = lesson
        self._target = target
        self._emit = emit

    def check_prerequisites(self) -> None:
        """Raise :class:`PrerequisiteFailed` (with what was needed and found) unless all hold."""
        if not self._lesson.prerequisites:
            return
        ctx = CheckContext(self._target, step_started=target_now(self._target))
        results = [check.evaluate(ctx) for check in self._lesson.prerequisites]
        ok = all(r.ok for r in results)
        self._emit(ev.PrerequisitesChecked(ok, tuple(results)))
        if ok:
            return
        failed = [r for r in results if not r.ok]
        details = "".join(f"\n  needed: {r.description}\n  found:  {r.observed}" for r in failed)
        raise PrerequisiteFailed(
            f"lesson {self._lesson.number} cannot start on {self._target.name}:{details}",
            hint=" ".join(r.hint for r in failed if r.hint) or None,
        )

    def set_up(self) -> None:
        """Make the lesson's starting state; a failure cleans up, then raises
        :class:`SetupFailed` with the command and its output."""
        if not self._lesson.setup:
            return
        results: list[CommandResult] = []
        for command in self._lesson.setup:
            results.append(self._target.run(command, timeout=SETUP_TIMEOUT))
            if not results[-1].ok:
                break
        self._emit(ev.SetupFinished(tuple(results)))
        failed = results[-1]
        if failed.ok:
            return
        self.clean_up()
        why = "timed out" if failed.timed_out else f"exit {failed.exit_code}"
        output = failed.output.strip()
        raise SetupFailed(
            f"lesson {self._lesson.number} cannot start on {self._target.name}: its setup "
            f"command `{failed.command}` failed ({why})"
            + (f":\n{output[-2000:]}" if output else ""),
            hint="the lesson's cleanup ran; fix what the output says and start again",
        )

    def clean_up(self) -> tuple[CommandResult, ...]:
        """Run the lesson's cleanup commands; a Ctrl-C meanwhile waits until they end."""
        results = []
        lost: str | None = None
        with sigint_deferred():
            for command in self._lesson.cleanup:
                try:
                    results.append(self._target.run(command, timeout=CLEANUP_TIMEOUT))
                except TargetError as exc:
                    # The target itself is gone (a lab that dropped): report, never
                    # hide the error that ended the lesson behind this one.
                    lost = str(exc)
                    results.append(CommandResult(command, -1, "", lost, 0.0))
        self._emit(ev.CleanupFinished(tuple(results), target_lost=lost))
        return tuple(results)
