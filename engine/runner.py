"""Walk a lesson: prerequisites, snapshots, each step's command and checks, cleanup.

The runner knows nothing about terminals or Slack: it calls ``emit`` with
:mod:`events <hostnet.engine.events>` and returns plain results.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from . import events as ev
from .checks import Check, CheckContext, CheckResult, Mode
from .checks.interfaces import SNAPSHOT, InterfacesCheck, snapshot_key
from .errors import EnvironmentProblem, TargetError
from .model import Lesson, Step
from .progress import ProgressStore, Status
from .targets import CommandResult, Target

Emit = Callable[[ev.Event], None]
CLEANUP_TIMEOUT = 60.0


class PrerequisiteFailed(EnvironmentProblem):
    """The machine is not ready for the lesson; nothing was run or changed."""


@dataclass
class Tally:
    """How a session went, filled in by whoever walks the steps."""

    total: int
    passed: int = 0
    interrupted: bool = False  # Ctrl-C
    stopped: bool = False  # the learner chose to quit

    @property
    def ok(self) -> bool:
        return self.passed == self.total and not (self.interrupted or self.stopped)


class Runner:
    def __init__(
        self,
        lesson: Lesson,
        target: Target,
        *,
        emit: Emit | None = None,
        progress: ProgressStore | None = None,
        learner: str = "local",
        settle_timeout: float = 10.0,
    ) -> None:
        self.lesson = lesson
        self.target = target
        self.emit: Emit = emit or (lambda event: None)
        self.progress = progress
        self.learner = learner
        self.settle_timeout = settle_timeout
        self.snapshots: dict[str, object] = {}
        self._step_started = time.time()
        self._saved_step_starts: dict[str, float] = {}

    # -- the whole lesson, unattended -------------------------------------------------

    def run(self, *, start: int = 0) -> bool:
        """Run steps ``start``… in order, stop at the first failure; always clean up.

        Returns True when every step passed. Raises :class:`PrerequisiteFailed`
        (before anything ran) and :class:`KeyboardInterrupt` (after cleanup).
        """
        with self.session(start=start) as tally:
            for index in range(start, len(self.lesson.steps)):
                if not self.run_step(index):
                    break
                tally.passed += 1
        return tally.ok

    @contextmanager
    def session(self, *, start: int = 0) -> Iterator[Tally]:
        """One go at the lesson: prerequisites, snapshots, then the caller's steps;
        cleanup and a LessonFinished event however the block is left."""
        began = time.monotonic()
        steps = self.lesson.steps
        self.emit(
            ev.LessonStarted(
                self.lesson.id, self.lesson.number, self.lesson.title, self.target.name, len(steps)
            )
        )
        self.check_prerequisites()
        tally = Tally(total=len(steps) - start)
        try:
            self.begin()
            yield tally
        except KeyboardInterrupt:
            tally.interrupted = True
            raise
        finally:
            self.cleanup()
            self.emit(
                ev.LessonFinished(
                    self.lesson.id,
                    passed=tally.ok,
                    steps_passed=tally.passed,
                    total=tally.total,
                    duration=time.monotonic() - began,
                    interrupted=tally.interrupted,
                    stopped=tally.stopped,
                )
            )

    def run_step(self, index: int) -> bool:
        """Start step ``index`` (0-based), run its command, verify it, record progress."""
        step = self.lesson.steps[index]
        self.start_step(index)
        result = self.execute(step)
        return self.finish_step(index, self.verify(step, mode="auto", output=result))

    # -- the parts, for front ends that let the learner type the command --------------

    def check_prerequisites(self) -> list[CheckResult]:
        if not self.lesson.prerequisites:
            return []
        ctx = CheckContext(self.target, step_started=time.time())
        results = [check.evaluate(ctx) for check in self.lesson.prerequisites]
        ok = all(r.ok for r in results)
        self.emit(ev.PrerequisitesChecked(ok, tuple(results)))
        if not ok:
            failed = [r for r in results if not r.ok]
            details = "".join(
                f"\n  needed: {r.description}\n  found:  {r.observed}" for r in failed
            )
            raise PrerequisiteFailed(
                f"lesson {self.lesson.number} cannot start on {self.target.name}:{details}",
                hint=" ".join(r.hint for r in failed if r.hint) or None,
            )
        return results

    def begin(self, *, since: float | None = None) -> None:
        """Take the snapshots checks compare against (before the first step).

        ``since`` backdates the lesson's start (``check`` of work done by hand
        without the tool: every log line counts).
        """
        self.snapshots = {"lesson_started": time.time() if since is None else since}
        if self._needs_interfaces("lesson"):
            self.snapshots[snapshot_key("lesson")] = self.target.facts(SNAPSHOT)
        self._save_state(self.snapshots)

    def restore(self) -> bool:
        """Reload the snapshots of the learner's last run (``check`` after a restart)."""
        if self.progress is None:
            return False
        saved = self.progress.load_state(self.learner, self.lesson.id)
        if "lesson_started" not in saved:
            return False
        self.snapshots = {k: v for k, v in saved.items() if not k.startswith("step_started:")}
        self._saved_step_starts = {
            k.removeprefix("step_started:"): float(v)
            for k, v in saved.items()
            if k.startswith("step_started:")
        }
        return True

    def start_step(self, index: int, *, announce: bool = True) -> None:
        """Mark the step's beginning (logs since then count) and take its snapshots.

        ``announce=False`` re-enters a step begun earlier (``check`` after the
        learner ran the command), keeping its recorded start time.
        """
        step = self.lesson.steps[index]
        if announce:
            self._step_started = time.time()
            self._save_state({f"step_started:{step.id}": self._step_started})
        else:
            fallback = float(str(self.snapshots.get("lesson_started", 0.0)))
            self._step_started = self._saved_step_starts.get(step.id, fallback)
        if announce and self._needs_interfaces("step", [step]):
            self.snapshots[snapshot_key("step")] = self.target.facts(SNAPSHOT)
            self._save_state({snapshot_key("step"): self.snapshots[snapshot_key("step")]})
        if announce:
            self.emit(
                ev.StepStarted(
                    self.lesson.id,
                    step.id,
                    index + 1,
                    len(self.lesson.steps),
                    step.title,
                    step.command,
                    step.explanation,
                )
            )

    def execute(self, step: Step) -> CommandResult:
        result = self.target.run(
            step.command,
            timeout=step.timeout,
            on_output=lambda stream, text: self.emit(ev.Output(step.id, stream, text)),
        )
        self.emit(ev.CommandFinished(step.id, result))
        return result

    def verify(
        self,
        step: Step,
        *,
        mode: Mode = "auto",
        output: CommandResult | None = None,
        answers: Mapping[str, str] | None = None,
        settle: bool = True,
    ) -> list[CheckResult]:
        """Evaluate a step's checks for ``mode``; retry unsettled live state, bounded.

        ``auto``: the tool ran the command and ``output`` is its result (None:
        not run yet, so checks on output fail). ``manual``: the learner ran it
        in their own terminal; questions are judged from ``answers``.
        ``settle=False`` judges the state as it is right now.
        """
        ctx = self.context(output=output, answers=answers)
        results = self._evaluate_settled(step.checks_for(mode), ctx, settle)
        if output is not None and output.timed_out:
            results.insert(0, _timeout_result(step))
        for result in results:
            self.emit(ev.CheckEvaluated(step.id, result))
        return results

    def context(
        self, *, output: CommandResult | None = None, answers: Mapping[str, str] | None = None
    ) -> CheckContext:
        """What the current step's checks see."""
        return CheckContext(
            self.target,
            step_started=self._step_started,
            output=output,
            snapshots=self.snapshots,
            answers=answers or {},
        )

    def finish_step(
        self, index: int, results: Sequence[CheckResult], *, with_hints: bool = True
    ) -> bool:
        """Record the verdict; ``with_hints=False`` when the front end gives hints one by one."""
        step = self.lesson.steps[index]
        passed = all(r.ok for r in results)
        self._record(step, "passed" if passed else "failed")
        hints = () if passed or not with_hints else tuple(step.hints)
        self.emit(ev.StepFinished(step.id, index + 1, passed, hints))
        return passed

    def skip_step(self, index: int) -> None:
        step = self.lesson.steps[index]
        self._record(step, "skipped")
        self.emit(ev.StepFinished(step.id, index + 1, False, skipped=True))

    def answer_quiz(self, index: int, choice: int) -> bool:
        """Judge the learner's ``choice`` (1-based) for quiz question ``index`` (0-based)."""
        question = self.lesson.quiz[index]
        correct = choice == question.answer
        if self.progress is not None:
            self.progress.record_quiz(self.learner, self.lesson.id, index + 1, choice, correct)
        self.emit(
            ev.QuizAnswered(
                self.lesson.id,
                index + 1,
                question.question,
                choice,
                correct,
                question.answer,
                question.explanation,
            )
        )
        return correct

    def _save_state(self, values: dict[str, object]) -> None:
        if self.progress is not None:
            self.progress.save_state(self.learner, self.lesson.id, values)

    def _record(self, step: Step, status: Status) -> None:
        if self.progress is not None:
            self.progress.record(self.learner, self.lesson.id, step.id, status)

    def cleanup(self) -> list[CommandResult]:
        """Run the lesson's cleanup commands; a Ctrl-C meanwhile waits until they end."""
        results = []
        lost: str | None = None
        with _sigint_deferred():
            for command in self.lesson.cleanup:
                try:
                    results.append(self.target.run(command, timeout=CLEANUP_TIMEOUT))
                except TargetError as exc:
                    # The target itself is gone (a lab that dropped): report, never
                    # hide the error that ended the lesson behind this one.
                    lost = str(exc)
                    results.append(CommandResult(command, -1, "", lost, 0.0))
        self.emit(ev.CleanupFinished(tuple(results), target_lost=lost))
        return results

    # -- helpers ------------------------------------------------------------------------

    def _evaluate_settled(
        self, checks: Sequence[Check], ctx: CheckContext, settle: bool
    ) -> list[CheckResult]:
        results = [check.evaluate(ctx) for check in checks]
        started = time.monotonic()
        pause = 0.05
        while settle:
            failing = [i for i, r in enumerate(results) if not r.ok]
            # Only live state can still change (a wrong output stays wrong), and
            # each kind says how long it may take; the runner caps the wait.
            budget = min(
                self.settle_timeout, min((checks[i].settle_seconds for i in failing), default=0)
            )
            if time.monotonic() - started >= budget:
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
            for i in failing:
                results[i] = checks[i].evaluate(ctx)
        return results

    def _needs_interfaces(self, since: str, steps: Sequence[Step] | None = None) -> bool:
        return any(
            isinstance(check, InterfacesCheck) and check.since == since
            for step in (steps if steps is not None else self.lesson.steps)
            for check in step.checks
        )


def _timeout_result(step: Step) -> CheckResult:
    return CheckResult(
        kind="timeout",
        description=f"the command finishes within {step.timeout:g} s",
        ok=False,
        expected=f"finishes within {step.timeout:g} s",
        observed=f"still running after {step.timeout:g} s: killed",
        hint="the command hung; check what it waits for (a prompt? the network?)",
    )


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold back Ctrl-C during cleanup, then deliver it (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, hold)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
