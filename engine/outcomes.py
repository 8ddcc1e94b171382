"""What a lesson session's verbs return, and the errors they raise."""

from __future__ import annotations

from dataclasses import dataclass

from .checks import CheckResult
from .commands import CommandResult
from .errors import EnvironmentProblem, TargetError
from .progress import Status


class PrerequisiteFailed(EnvironmentProblem):
    """The machine is not ready for the lesson; nothing was run or changed."""


class SetupFailed(EnvironmentProblem):
    """A lesson's setup command failed; its cleanup ran."""


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
    helped: bool = False  # solved with help (a challenge run by the tool, or its solution shown)

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


@dataclass(frozen=True)
class Hint:
    number: int  # 1-based
    total: int
    text: str | None  # None: no more hints
    solution: bool = False  # a challenge's last hint: the command itself
