"""What is kept of one learner's go at one lesson, in the progress store.

A lesson session may be short-lived (the bot makes one per click), so
everything a later verb needs is kept here and reloaded: the baselines, when
each step began, how many times the learner checked a step, which steps were
solved with help, which passed, and the prediction made before a step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Lesson
from .progress import Prediction, Progress, Status
from .snapshots import Snapshots

_TRIES = "tries:"
_HELPED = "helped:"


class LessonRecord:
    def __init__(self, progress: Progress | None, learner: str, lesson: Lesson) -> None:
        self._progress = progress
        self._learner = learner
        self._lesson = lesson
        self.snapshots = Snapshots.empty()
        self.tries: dict[str, int] = {}
        self.helped: set[str] = set()
        self.passed: set[str] = set()
        self._predictions: dict[str, Prediction] = {}  # made through this record

    # -- a go at the lesson ------------------------------------------------------------------

    def begin(self, snapshots: Snapshots) -> None:
        """A new go: what an earlier one kept is forgotten (progress stays)."""
        self.snapshots = snapshots
        self.tries.clear()
        self.helped.clear()
        self.passed.clear()
        if self._progress is not None:
            self._progress.clear_state(self._learner, self._lesson.id)
        self._save(snapshots.saved())

    def load(self) -> bool:
        """Reload the go an earlier session kept; False when there is none."""
        saved = self._state()
        snapshots = Snapshots.from_saved(saved)
        if snapshots is None:
            return False
        self.snapshots = snapshots
        self.tries = {
            k.removeprefix(_TRIES): int(v) for k, v in saved.items() if k.startswith(_TRIES)
        }
        self.helped = {k.removeprefix(_HELPED) for k in saved if k.startswith(_HELPED)}
        if self._progress is not None:
            recorded = self._progress.lesson(self._learner, self._lesson.id)
            self.passed = {
                step
                for step, p in recorded.items()
                if p.status == "passed" and p.updated_at >= snapshots.began_here  # our clock
            }
        return True

    # -- steps -------------------------------------------------------------------------------

    def step_began(self, step_id: str, started: float, baselines: Mapping[str, Any]) -> None:
        self.snapshots.step_started[step_id] = started
        self._save({Snapshots.step_key(step_id): started, **baselines})

    def count_try(self, step_id: str) -> int:
        """One more check of the step by the learner; how many so far."""
        self.tries[step_id] = self.tries.get(step_id, 0) + 1
        self._save({_TRIES + step_id: self.tries[step_id]})
        return self.tries[step_id]

    def mark_helped(self, step_id: str) -> None:
        self.helped.add(step_id)
        self._save({_HELPED + step_id: True})

    def record(self, step_id: str, status: Status) -> bool:
        """The step's verdict; whether it was solved with help."""
        helped = status == "passed" and step_id in self.helped
        if status == "passed":
            self.passed.add(step_id)
        if self._progress is not None:
            self._progress.record(self._learner, self._lesson.id, step_id, status, helped=helped)
        return helped

    # -- questions ---------------------------------------------------------------------------

    def quiz(self, number: int, choice: int, correct: bool) -> None:
        if self._progress is not None:
            self._progress.record_quiz(self._learner, self._lesson.id, number, choice, correct)

    def predict(self, step_id: str, choice: int, correct: bool) -> None:
        self._predictions[step_id] = Prediction(choice, correct)
        if self._progress is not None:
            self._progress.record_prediction(
                self._learner, self._lesson.id, step_id, choice, correct
            )

    def prediction(self, step_id: str) -> Prediction | None:
        """The prediction made for the step in this go, if any."""
        if step_id in self._predictions or self._progress is None:
            return self._predictions.get(step_id)
        since = self.snapshots.began_here  # (progress records are stamped on our clock)
        return self._progress.prediction(self._learner, self._lesson.id, step_id, since=since)

    # -- plumbing ----------------------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        if self._progress is None:
            return {}
        return self._progress.load_state(self._learner, self._lesson.id)

    def _save(self, values: Mapping[str, object]) -> None:
        if self._progress is not None and values:
            self._progress.save_state(self._learner, self._lesson.id, dict(values))
