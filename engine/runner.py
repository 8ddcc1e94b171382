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
from types import FrameType

from . import events as ev
from .checks import Check, CheckContext, CheckResult, Mode
from .checks.interfaces import SNAPSHOT, InterfacesCheck, snapshot_key
from .errors import EnvironmentProblem, first_line
from .model import Lesson, Step
from .progress import ProgressStore, Status
from .targets import CommandResult, Target

Emit = Callable[[ev.Event], None]
CLEANUP_TIMEOUT = 60.0


class PrerequisiteFailed(EnvironmentProblem):
    """The machine is not ready for the lesson; nothing was run or changed."""


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

    # -- the whole lesson, unattended -------------------------------------------------

    def run(self, *, start: int = 0) -> bool:
        """Run steps ``start``… in order, stop at the first failure; always clean up.

        Returns True when every step passed. Raises :class:`PrerequisiteFailed`
        (before anything ran) and :class:`KeyboardInterrupt` (after cleanup).
        """
        began = time.monotonic()
        steps = self.lesson.steps
        self.emit(
            ev.LessonStarted(
                self.lesson.id, self.lesson.number, self.lesson.title, self.target.name, len(steps)
            )
        )
        self.check_prerequisites()
        passed = 0
        interrupted = False
        try:
            self.begin()
            for index in range(start, len(steps)):
                if not self.run_step(index):
                    break
                passed += 1
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            self.cleanup()
            self.emit(
                ev.LessonFinished(
                    self.lesson.id,
                    passed=passed == len(steps) - start,
                    steps_passed=passed,
                    total=len(steps) - start,
                    duration=time.monotonic() - began,
                    interrupted=interrupted,
                )
            )
        return passed == len(steps) - start

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
        results = [self._evaluate(check, ctx) for check in self.lesson.prerequisites]
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

    def begin(self) -> None:
        """Take the snapshots checks compare against (before the first step)."""
        self.snapshots["lesson_started"] = time.time()
        if self._needs_interfaces("lesson"):
            self.snapshots[snapshot_key("lesson")] = self.target.facts(SNAPSHOT)

    def start_step(self, index: int) -> None:
        step = self.lesson.steps[index]
        self._step_started = time.time()
        if self._needs_interfaces("step", [step]):
            self.snapshots[snapshot_key("step")] = self.target.facts(SNAPSHOT)
        self.emit(
            ev.StepStarted(
                self.lesson.id, step.id, index + 1, len(self.lesson.steps), step.title, step.command
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

    def finish_step(self, index: int, results: Sequence[CheckResult]) -> bool:
        step = self.lesson.steps[index]
        passed = all(r.ok for r in results)
        self._record(step, "passed" if passed else "failed")
        self.emit(ev.StepFinished(step.id, index + 1, passed, () if passed else tuple(step.hints)))
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

    def _record(self, step: Step, status: Status) -> None:
        if self.progress is not None:
            self.progress.record(self.learner, self.lesson.id, step.id, status)

    def cleanup(self) -> list[CommandResult]:
        """Run the lesson's cleanup commands; a Ctrl-C meanwhile waits until they end."""
        results = []
        with _sigint_deferred():
            for command in self.lesson.cleanup:
                results.append(self.target.run(command, timeout=CLEANUP_TIMEOUT))
        self.emit(ev.CleanupFinished(tuple(results)))
        return results

    # -- helpers ------------------------------------------------------------------------

    def _evaluate_settled(
        self, checks: Sequence[Check], ctx: CheckContext, settle: bool
    ) -> list[CheckResult]:
        results = [self._evaluate(check, ctx) for check in checks]
        deadline = time.monotonic() + self.settle_timeout
        pause = 0.05
        while settle and time.monotonic() < deadline:
            failing = [i for i, r in enumerate(results) if not r.ok]
            # Only live state can still change; a wrong output stays wrong.
            if not failing or any(not checks[i].settles for i in failing):
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
            for i in failing:
                results[i] = self._evaluate(checks[i], ctx)
        return results

    def _evaluate(self, check: Check, ctx: CheckContext) -> CheckResult:
        from docker.errors import DockerException
        from requests.exceptions import RequestException

        try:
            return check.evaluate(ctx)
        except (DockerException, RequestException) as exc:
            raise EnvironmentProblem(
                f"lost the Docker engine of {self.target.name} while checking "
                f"{check.describe()!r}: {first_line(exc)}",
                hint="is dockerd still running? Progress so far is saved; run the lesson again "
                "once the engine is back",
            ) from exc

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
