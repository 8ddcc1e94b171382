"""One learner's go at one lesson on one target: the API both front ends drive.

A front end creates a :class:`LessonSession` and calls its verbs; it never
orders the engine's internals itself::

    session = LessonSession(lesson, target, progress=store, emit=renderer)
    with session.attempt():               # start: prerequisites, setup, baselines … finish: cleanup
        session.predict(0, choice=2)      # before the step, if it asks for a prediction
        outcome = session.run_step(0)     # the tool runs the command and verifies it
        outcome = session.check_step(1, answers={...})   # the learner did it by hand
        hint = session.hint(1, 1)         # the first hint (a challenge's last: the command)
        session.skip_step(2)
        session.answer_quiz(0, choice=2)

Each verb returns a typed outcome and emits frozen :mod:`events
<hostnet.engine.events>` to ``emit``; the session knows nothing about
terminals or Slack. A session object may be short-lived (the bot makes one per
click): :meth:`resume` reloads what an earlier one kept (``record.py``).
Verbs that only record (skip, answers) need no target.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from . import events as ev
from .checks import CheckResult, Mode
from .commands import CommandResult
from .model import Lesson, Step
from .outcomes import (
    Hint,
    NoTarget,
    QuizOutcome,
    StepOutcome,
)
from .outside import host_address
from .progress import Progress
from .record import LessonRecord
from .reveal import answers_revealed, prediction_revealed
from .snapshots import Snapshots
from .stage import Stage
from .targets import Target, target_now
from .variables import bind_builtins, uses_builtins
from .verify import StepJudge

Emit = Callable[[ev.Event], None]


class LessonSession:
    def __init__(
        self,
        lesson: Lesson,
        target: Target | None = None,
        *,
        progress: Progress | None = None,
        learner: str = "local",
        emit: Emit | None = None,
        settle_timeout: float = 10.0,
    ) -> None:
        self.lesson = lesson
        self._target = target
        self._record = LessonRecord(progress, learner, lesson)
        self._sink: Emit = emit or _silent
        self._quiet = False  # replaying: steps say nothing but how they went
        self._judge = StepJudge(
            self._need_target, lambda: self._record.snapshots, settle_timeout=settle_timeout
        )
        self._current: int | None = None  # the step begun in this session, if any
        self._began = time.monotonic()
        self._interrupted = False
        self._stopped = False

    # == the whole lesson ===================================================================

    def run_all(self) -> bool:
        """Run every step in order, stop at the first failure; always clean up.

        True when every step passed. Raises :class:`PrerequisiteFailed` (before
        anything ran), :class:`SetupFailed` (after cleanup) and
        :class:`KeyboardInterrupt` (after cleanup).
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
        """Announce the lesson, check its prerequisites, make its starting state
        (``setup:``), take the lesson's baselines."""
        self._began = time.monotonic()
        self._emit(
            ev.LessonStarted(
                self.lesson.id,
                self.lesson.number,
                self.lesson.title,
                self._name(),
                len(self.lesson.steps),
            )
        )
        self._bind_builtins()
        self.check_prerequisites()
        self._stage().set_up()
        self._record.begin(Snapshots.take(self.lesson.baselines(), self._need_target()))

    def check_prerequisites(self) -> None:
        """Raise :class:`PrerequisiteFailed` (with what was needed and found) unless all hold."""
        self._stage().check_prerequisites()

    def resume(self, *, since: float | None = None) -> bool:
        """Reload what an earlier session of this learner kept (baselines, steps
        passed, tries, help, predictions).

        False when nothing was kept: the baselines are taken now, and ``since``
        backdates the lesson's start (``check`` of work done entirely by hand:
        every log line counts).
        """
        self._bind_builtins()
        if self._record.load():
            return True
        self._record.begin(
            Snapshots.take(self.lesson.baselines(), self._need_target(), since=since)
        )
        return False

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
                steps_passed=self._steps_passed(),
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
        return self._steps_passed() == len(self.lesson.steps) and not (
            self._interrupted or self._stopped
        )

    def cleanup(self) -> tuple[CommandResult, ...]:
        """Run the lesson's cleanup commands; a Ctrl-C meanwhile waits until they end."""
        return self._stage().clean_up()

    # == steps ==============================================================================

    def begin_step(self, index: int) -> None:
        """Show step ``index``: from now on its logs count, and its baselines are taken."""
        step = self.lesson.steps[index]
        self._current = index
        started = target_now(self._need_target())  # the lab's clock: see target_now
        taken = self._record.snapshots.take_step(step.baselines(), self._need_target())
        self._record.step_began(step.id, started, taken)
        self._emit(
            ev.StepStarted(
                self.lesson.id,
                step.id,
                index + 1,
                len(self.lesson.steps),
                step.title,
                step.command,
                step.explanation,
                challenge=step.challenge,
            )
        )

    def predict(self, index: int, choice: int) -> None:
        """The learner's prediction (1-based choice) before step ``index`` runs; its
        answer is revealed only once the step has passed."""
        step = self.lesson.steps[index]
        if step.predict is None:
            raise ValueError(f"step {step.id!r} asks for no prediction")
        _check_choice(choice, len(step.predict.choices))
        self._record.predict(step.id, choice, choice == step.predict.answer)
        self._emit(ev.PredictionMade(step.id, index + 1, choice))

    def run_step(self, index: int) -> StepOutcome:
        """The tool runs the step's command, then verifies it (``auto`` mode).

        On a challenge, that is help: the step passes as "solved with help"; a
        step with questions shows their answers (the learner did not look).
        """
        if self._current != index:
            self.begin_step(index)
        step = self.lesson.steps[index]
        if step.challenge:
            self._record.mark_helped(step.id)
        output = self._execute(step)
        results = self._verify(step, "auto", output=output)
        outcome = self._conclude(index, results, output)
        self._reveal_answers(index)
        return outcome

    def check_step(self, index: int, answers: Mapping[str, str] | None = None) -> StepOutcome:
        """The learner did the step in their own terminal: judge the live system
        and their ``answers`` to the step's questions (``manual`` mode).

        A step not begun in this session is judged since it was begun in an
        earlier one (``check`` after a restart). The right answer to a question
        is shown from the second wrong try on; a first wrong try gets the hint.
        """
        self._current = index
        step = self.lesson.steps[index]
        tries = self._record.count_try(step.id)
        results = self._verify(step, "manual", answers=answers, tries=tries)
        return self._conclude(index, results, None)

    def hint(self, index: int, number: int) -> Hint:
        """Hint ``number`` (1-based) of step ``index``; showing a challenge's last
        one (its command) counts as help."""
        step = self.lesson.steps[index]
        layers = step.hint_layers()
        text = layers[number - 1] if 1 <= number <= len(layers) else None
        solution = step.challenge and number == len(layers)
        if solution:
            self._record.mark_helped(step.id)
        return Hint(number, len(layers), text, solution)

    def skip_step(self, index: int) -> StepOutcome:
        step = self.lesson.steps[index]
        self._record.record(step.id, "skipped")
        self._emit(ev.StepFinished(step.id, index + 1, False, skipped=True))
        if self._target is not None:
            self._reveal_answers(index)
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
        _check_choice(choice, len(question.choices))
        correct = choice == question.answer
        self._record.quiz(index + 1, choice, correct)
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

    # == for lesson authors: judge without recording ===========================================

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
        self._current = index
        step = self.lesson.steps[index]
        return self._judge.judge(step, mode, output=output, answers=answers, settle=settle)

    def right_answers(self, index: int) -> dict[str, set[str]]:
        """Every answer that is true right now, for each question of step ``index``."""
        return self._judge.right_answers(self.lesson.steps[index])

    # == helpers ============================================================================

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
        tries: int = 0,
    ) -> list[CheckResult]:
        results = self._judge.judge(step, mode, output=output, answers=answers, tries=tries)
        for result in results:
            self._emit(ev.CheckEvaluated(step.id, result))
        return results

    def _conclude(
        self, index: int, results: list[CheckResult], output: CommandResult | None
    ) -> StepOutcome:
        step = self.lesson.steps[index]
        passed = all(r.ok for r in results)
        helped = self._record.record(step.id, "passed" if passed else "failed")
        hints = () if passed else tuple(step.hints)
        self._emit(ev.StepFinished(step.id, index + 1, passed, hints, helped=helped))
        if step.map and not self._quiet:  # the live picture, after the step's checks
            from .netmap.live import map_event  # (the map's reader: only for steps that draw it)

            self._emit(map_event(step.id, index + 1, self._need_target()))
        made = self._record.prediction(step.id) if passed and step.predict else None
        if made is not None:
            self._emit(prediction_revealed(step, index, made))
        return StepOutcome(
            step.id, index, "passed" if passed else "failed", tuple(results), output, helped
        )

    def _reveal_answers(self, index: int) -> None:
        """What the step's questions would have had as answers (skip, or run for me)."""
        step = self.lesson.steps[index]
        if step.questions():
            self._emit(answers_revealed(step, index, self.right_answers(index)))

    def _steps_passed(self) -> int:
        return sum(1 for step in self.lesson.steps if step.id in self._record.passed)

    def _emit(self, event: ev.Event) -> None:
        if not self._quiet:
            self._sink(event)

    def _bind_builtins(self) -> None:
        """``@{host_address}`` and its kind depend on the target: bound once, here."""
        if self._target is not None and uses_builtins(self.lesson):
            address = host_address(self._target)
            self.lesson = bind_builtins(self.lesson, {"host_address": address})

    def _stage(self) -> Stage:
        return Stage(self.lesson, self._need_target(), self._emit)

    def _need_target(self) -> Target:
        if self._target is None:
            raise NoTarget(f"lesson {self.lesson.number}: no lab or machine is attached")
        return self._target

    def _name(self) -> str:
        return self._target.name if self._target is not None else "nowhere"


def _check_choice(choice: int, count: int) -> None:
    if not 1 <= choice <= count:
        raise ValueError(f"choice {choice} of {count}")


def _silent(event: ev.Event) -> None:
    pass
