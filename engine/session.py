"""One learner's go at one lesson on one target: the API both front ends drive.

A front end creates a :class:`LessonSession` and calls its verbs; it never
orders the engine's internals itself::

    session = LessonSession(lesson, target, progress=store, emit=renderer)
    with session.attempt():               # start: prerequisites, baselines … finish: cleanup
        outcome = session.run_step(0)     # the tool runs the command and verifies it
        outcome = session.check_step(1, answers={...})   # the learner did it by hand
        session.skip_step(2)
        session.answer_quiz(0, choice=2)

Each verb returns a typed outcome and emits frozen :mod:`events
<hostnet.engine.events>` to ``emit``; the session knows nothing about
terminals or Slack. A session object may be short-lived (the bot makes one per
click): :meth:`resume` reloads what an earlier one saved in the progress store.
Verbs that only record (skip, quiz answers) need no target.
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
from .checks import CheckContext, CheckResult, Mode, Question
from .errors import EnvironmentProblem, TargetError
from .model import Lesson, Step
from .progress import ProgressStore, Status
from .snapshots import Snapshots
from .targets import CommandResult, Target
from .verify import evaluate, timeout_result

Emit = Callable[[ev.Event], None]
CLEANUP_TIMEOUT = 60.0


class PrerequisiteFailed(EnvironmentProblem):
    """The machine is not ready for the lesson; nothing was run or changed."""


class NoTarget(TargetError):
    """A verb that reads or changes the target was called on a session without one."""


@dataclass(frozen=True)
class StepOutcome:
    """How one go at a step ended: its verdict and the evidence."""

    step: str
    index: int  # 0-based
    status: Status
    results: tuple[CheckResult, ...] = ()
    command: CommandResult | None = None  # when the tool ran the step's command

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class QuizOutcome:
    index: int  # 0-based
    choice: int  # 1-based
    correct: bool
    right_choice: int
    explanation: str


class LessonSession:
    def __init__(
        self,
        lesson: Lesson,
        target: Target | None = None,
        *,
        progress: ProgressStore | None = None,
        learner: str = "local",
        emit: Emit | None = None,
        settle_timeout: float = 10.0,
    ) -> None:
        self.lesson = lesson
        self._target = target
        self._progress = progress
        self._learner = learner
        self._sink: Emit = emit or _silent
        self._quiet = False  # replaying: steps say nothing but how they went
        self._settle_timeout = settle_timeout
        self._snapshots = Snapshots.empty()
        self._current: int | None = None  # the step begun in this session, if any
        self._passed: set[int] = set()
        self._began = time.monotonic()
        self._interrupted = False
        self._stopped = False

    # -- the whole lesson ----------------------------------------------------------------

    def run_all(self) -> bool:
        """Run every step in order, stop at the first failure; always clean up.

        True when every step passed. Raises :class:`PrerequisiteFailed` (before
        anything ran) and :class:`KeyboardInterrupt` (after cleanup).
        """
        with self.attempt():
            for index in range(len(self.lesson.steps)):
                if not self.run_step(index).passed:
                    break
        return self.ok

    @contextmanager
    def attempt(self) -> Iterator[LessonSession]:
        """:meth:`start`, the caller's steps, then :meth:`finish` however the block is left."""
        self.start()
        try:
            yield self
        except KeyboardInterrupt:
            self._interrupted = True
            raise
        finally:
            self.finish()

    def start(self) -> None:
        """Announce the lesson, check its prerequisites, take the lesson's baselines."""
        self._began = time.monotonic()
        steps = self.lesson.steps
        self._emit(
            ev.LessonStarted(
                self.lesson.id, self.lesson.number, self.lesson.title, self._name(), len(steps)
            )
        )
        self.check_prerequisites()
        self._snapshots = Snapshots.take(
            self.lesson.baselines(), self._need_target(), started=time.time()
        )
        self._save(self._snapshots.saved())

    def check_prerequisites(self) -> None:
        """Raise :class:`PrerequisiteFailed` (with what was needed and found) unless all hold."""
        if not self.lesson.prerequisites:
            return
        ctx = CheckContext(self._need_target(), step_started=time.time())
        results = [check.evaluate(ctx) for check in self.lesson.prerequisites]
        ok = all(r.ok for r in results)
        self._emit(ev.PrerequisitesChecked(ok, tuple(results)))
        if ok:
            return
        failed = [r for r in results if not r.ok]
        details = "".join(f"\n  needed: {r.description}\n  found:  {r.observed}" for r in failed)
        raise PrerequisiteFailed(
            f"lesson {self.lesson.number} cannot start on {self._name()}:{details}",
            hint=" ".join(r.hint for r in failed if r.hint) or None,
        )

    def resume(self, *, since: float | None = None) -> bool:
        """Reload what an earlier session of this learner saved (baselines, steps passed).

        False when nothing was saved: the baselines are taken now, and ``since``
        backdates the lesson's start (``check`` of work done entirely by hand:
        every log line counts).
        """
        saved = self._progress.load_state(self._learner, self.lesson.id) if self._progress else {}
        snapshots = Snapshots.from_saved(saved)
        if snapshots is None:
            started = time.time() if since is None else since
            self._snapshots = Snapshots.take(
                self.lesson.baselines(), self._need_target(), started=started
            )
            self._save(self._snapshots.saved())
            return False
        self._snapshots = snapshots
        if self._progress is not None:
            recorded = self._progress.lesson(self._learner, self.lesson.id)
            self._passed = {
                i
                for i, step in enumerate(self.lesson.steps)
                if step.id in recorded
                and recorded[step.id].status == "passed"
                and recorded[step.id].updated_at >= snapshots.lesson_started
            }
        return True

    def stop(self) -> None:
        """The learner chose to quit: :meth:`finish` says so (progress is kept)."""
        self._stopped = True

    def finish(self) -> tuple[CommandResult, ...]:
        """Clean up and announce how the lesson went."""
        results = self.cleanup()
        self._emit(
            ev.LessonFinished(
                self.lesson.id,
                passed=self.ok,
                steps_passed=len(self._passed),
                total=len(self.lesson.steps),
                duration=time.monotonic() - self._began,
                interrupted=self._interrupted,
                stopped=self._stopped,
            )
        )
        return results

    @property
    def ok(self) -> bool:
        """Every step passed, and the learner neither quit nor interrupted."""
        return len(self._passed) == len(self.lesson.steps) and not (
            self._interrupted or self._stopped
        )

    def cleanup(self) -> tuple[CommandResult, ...]:
        """Run the lesson's cleanup commands; a Ctrl-C meanwhile waits until they end."""
        target = self._need_target()
        results = []
        lost: str | None = None
        with _sigint_deferred():
            for command in self.lesson.cleanup:
                try:
                    results.append(target.run(command, timeout=CLEANUP_TIMEOUT))
                except TargetError as exc:
                    # The target itself is gone (a lab that dropped): report, never
                    # hide the error that ended the lesson behind this one.
                    lost = str(exc)
                    results.append(CommandResult(command, -1, "", lost, 0.0))
        self._emit(ev.CleanupFinished(tuple(results), target_lost=lost))
        return tuple(results)

    # -- steps ---------------------------------------------------------------------------

    def begin_step(self, index: int) -> None:
        """Show step ``index``: from now on its logs count, and its baselines are taken."""
        step = self.lesson.steps[index]
        self._current = index
        started = time.time()
        self._snapshots.step_started[step.id] = started
        changed = self._snapshots.take_step(step.baselines(), self._need_target())
        self._save({Snapshots.step_key(step.id): started, **changed})
        self._emit(
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

    def run_step(self, index: int) -> StepOutcome:
        """The tool runs the step's command, then verifies it (``auto`` mode)."""
        if self._current != index:
            self.begin_step(index)
        step = self.lesson.steps[index]
        output = self._execute(step)
        results = self._verify(step, "auto", output=output)
        return self._record(index, results, output)

    def check_step(self, index: int, answers: Mapping[str, str] | None = None) -> StepOutcome:
        """The learner did the step in their own terminal: judge the live system
        and their ``answers`` to the step's questions (``manual`` mode).

        A step not begun in this session is judged since it was begun in an
        earlier one (``check`` after a restart).
        """
        if self._current != index:
            self._current = index
        step = self.lesson.steps[index]
        results = self._verify(step, "manual", answers=answers)
        return self._record(index, results, None)

    def skip_step(self, index: int) -> StepOutcome:
        step = self.lesson.steps[index]
        self._record_status(step, "skipped")
        self._emit(ev.StepFinished(step.id, index + 1, False, skipped=True))
        return StepOutcome(step.id, index, "skipped")

    def replay(self, upto: int) -> int:
        """Run steps ``0 … upto-1`` again, quietly, to rebuild their state (a resumed
        lesson); each says how it went in one :class:`~.events.StepReplayed`.
        Returns how many passed (it stops at the first that does not)."""
        for index in range(upto):
            self._quiet = True
            try:
                passed = self.run_step(index).passed
            finally:
                self._quiet = False
            step = self.lesson.steps[index]
            self._emit(ev.StepReplayed(step.id, index + 1, step.title, passed))
            if not passed:
                return index
        return upto

    def answer_quiz(self, index: int, choice: int) -> QuizOutcome:
        """Judge the learner's ``choice`` (1-based) for quiz question ``index`` (0-based)."""
        question = self.lesson.quiz[index]
        if not 1 <= choice <= len(question.choices):
            raise ValueError(f"choice {choice} of {len(question.choices)}")
        correct = choice == question.answer
        if self._progress is not None:
            self._progress.record_quiz(self._learner, self.lesson.id, index + 1, choice, correct)
        self._emit(
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
        return QuizOutcome(index, choice, correct, question.answer, question.explanation)

    # -- for lesson authors: judge without recording ----------------------------------------

    def judge(
        self,
        index: int,
        mode: Mode,
        *,
        output: CommandResult | None = None,
        answers: Mapping[str, str] | None = None,
        settle: bool = True,
    ) -> list[CheckResult]:
        """The step's checks for ``mode`` as they stand; records and emits nothing.
        ``settle=False`` judges the state right now, without waiting for it to settle."""
        step = self.lesson.steps[index]
        if self._current != index:
            self._current = index
        return self._evaluate(step, mode, output=output, answers=answers, settle=settle)

    def right_answers(self, index: int) -> dict[str, set[str]]:
        """Every answer that is true right now, for each question of step ``index``."""
        ctx = self._context(self.lesson.steps[index])
        return {
            check.question: check.right_answers(ctx)
            for check in self.lesson.steps[index].checks
            if isinstance(check, Question)
        }

    # -- helpers ---------------------------------------------------------------------------

    def _emit(self, event: ev.Event) -> None:
        if not self._quiet:
            self._sink(event)

    def _execute(self, step: Step) -> CommandResult:
        result = self._need_target().run(
            step.command,
            timeout=step.timeout,
            on_output=lambda stream, text: self._emit(ev.Output(step.id, stream, text)),
        )
        self._emit(ev.CommandFinished(step.id, result))
        return result

    def _verify(
        self,
        step: Step,
        mode: Mode,
        *,
        output: CommandResult | None = None,
        answers: Mapping[str, str] | None = None,
    ) -> list[CheckResult]:
        results = self._evaluate(step, mode, output=output, answers=answers, settle=True)
        for result in results:
            self._emit(ev.CheckEvaluated(step.id, result))
        return results

    def _evaluate(
        self,
        step: Step,
        mode: Mode,
        *,
        output: CommandResult | None,
        answers: Mapping[str, str] | None,
        settle: bool,
    ) -> list[CheckResult]:
        ctx = self._context(step, output=output, answers=answers)
        budget = self._settle_timeout if settle else 0.0
        results = evaluate(step.checks_for(mode), ctx, settle_timeout=budget)
        if output is not None and output.timed_out:
            results.insert(0, timeout_result(step))
        return results

    def _context(
        self,
        step: Step,
        *,
        output: CommandResult | None = None,
        answers: Mapping[str, str] | None = None,
    ) -> CheckContext:
        return CheckContext(
            self._need_target(),
            step_started=self._snapshots.step_started.get(step.id, self._snapshots.lesson_started),
            output=output,
            snapshots=self._snapshots,
            answers=answers or {},
        )

    def _record(
        self, index: int, results: Sequence[CheckResult], output: CommandResult | None
    ) -> StepOutcome:
        step = self.lesson.steps[index]
        passed = all(r.ok for r in results)
        status: Status = "passed" if passed else "failed"
        self._record_status(step, status)
        if passed:
            self._passed.add(index)
        self._emit(ev.StepFinished(step.id, index + 1, passed, () if passed else tuple(step.hints)))
        return StepOutcome(step.id, index, status, tuple(results), output)

    def _record_status(self, step: Step, status: Status) -> None:
        if self._progress is not None:
            self._progress.record(self._learner, self.lesson.id, step.id, status)

    def _save(self, values: Mapping[str, object]) -> None:
        if self._progress is not None and values:
            self._progress.save_state(self._learner, self.lesson.id, dict(values))

    def _need_target(self) -> Target:
        if self._target is None:
            raise NoTarget(f"lesson {self.lesson.number}: no lab or machine is attached")
        return self._target

    def _name(self) -> str:
        return self._target.name if self._target is not None else "nowhere"


def _silent(event: ev.Event) -> None:
    pass


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
