"""What a lesson session tells front ends, as plain frozen data.

The terminal renderer, the JSON-lines output and the Slack bot all consume
the same stream; ``to_dict`` gives the JSON form (``{"event": "...", ...}``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from .checks import CheckResult
from .commands import CommandResult
from .netmap.model import NetworkMap


@dataclass(frozen=True)
class Event:
    @classmethod
    def name(cls) -> str:
        """The event's name in JSON: ``step_started`` for StepStarted."""
        return _snake(cls.__name__)

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        return {"event": self.name(), **data}


@dataclass(frozen=True)
class LessonStarted(Event):
    lesson: str
    number: int
    title: str
    target: str
    steps: int


@dataclass(frozen=True)
class PrerequisitesChecked(Event):
    ok: bool
    results: tuple[CheckResult, ...]


@dataclass(frozen=True)
class StepStarted(Event):
    lesson: str
    step: str
    index: int  # 1-based
    total: int
    title: str
    command: str
    explanation: str = ""
    challenge: bool = False  # the goal is shown, not the command


@dataclass(frozen=True)
class Output(Event):
    step: str
    stream: str  # stdout | stderr
    text: str


@dataclass(frozen=True)
class CommandFinished(Event):
    step: str
    result: CommandResult


@dataclass(frozen=True)
class CheckEvaluated(Event):
    step: str
    result: CheckResult


@dataclass(frozen=True)
class StepFinished(Event):
    step: str
    index: int
    passed: bool
    hints: tuple[str, ...] = ()
    skipped: bool = False
    helped: bool = False  # passed with help (a challenge the tool ran, or whose solution was shown)


@dataclass(frozen=True)
class SetupFinished(Event):
    """The lesson's ``setup:`` commands, run before step 1 (the last one may have failed)."""

    results: tuple[CommandResult, ...]


@dataclass(frozen=True)
class PredictionMade(Event):
    """The learner's prediction before a step; its answer is not told yet."""

    step: str
    index: int  # 1-based
    choice: int  # 1-based


@dataclass(frozen=True)
class PredictionRevealed(Event):
    """After the step passed: "you predicted X; you saw Y", and why."""

    step: str
    index: int
    question: str
    choice: int
    chosen: str
    answer: int
    right: str
    correct: bool
    explanation: str


@dataclass(frozen=True)
class AnswersRevealed(Event):
    """The answers to a step's questions, once the learner no longer has to find
    them (the step was skipped, or run for them)."""

    step: str
    index: int
    answers: tuple[tuple[str, str], ...]  # (question, the right answer)


@dataclass(frozen=True)
class NetworkMapped(Event):
    """The live network map, read after the checks of a ``map: true`` step (or
    asked for); ``problem`` when it could not be read (the step stands as judged)."""

    step: str
    index: int  # 1-based
    map: NetworkMap | None
    problem: str | None = None


@dataclass(frozen=True)
class StepReplayed(Event):
    """A step done in an earlier session, run again quietly to rebuild its state."""

    step: str
    index: int  # 1-based
    title: str
    passed: bool


@dataclass(frozen=True)
class QuizAnswered(Event):
    lesson: str
    index: int  # 1-based
    question: str
    choice: int  # 1-based
    correct: bool
    right_choice: int
    explanation: str


@dataclass(frozen=True)
class CleanupFinished(Event):
    results: tuple[CommandResult, ...]
    target_lost: str | None = None  # why the target stopped answering during cleanup

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


@dataclass(frozen=True)
class LessonFinished(Event):
    lesson: str
    passed: bool
    steps_passed: int
    total: int
    duration: float
    interrupted: bool = False
    stopped: bool = False  # the learner quit; progress is saved


def _plain(value: Any) -> Any:
    if isinstance(value, CheckResult | CommandResult | NetworkMap):
        return asdict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
