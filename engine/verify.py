"""Evaluate a step's checks: live state gets a bounded time to settle."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from .checks import Check, CheckContext, CheckResult, Mode, Question
from .commands import CommandResult
from .model import Step
from .snapshots import Snapshots
from .targets import Target


class StepJudge:
    """Judges a lesson's steps on a target against the lesson's snapshots."""

    def __init__(
        self,
        target: Callable[[], Target],
        snapshots: Callable[[], Snapshots],
        *,
        settle_timeout: float,
    ) -> None:
        self._target = target
        self._snapshots = snapshots
        self._settle_timeout = settle_timeout

    def judge(
        self,
        step: Step,
        mode: Mode,
        *,
        output: CommandResult | None = None,
        answers: Mapping[str, str] | None = None,
        settle: bool = True,
        tries: int = 0,
    ) -> list[CheckResult]:
        """The step's checks for ``mode``; a command killed at its timeout fails first."""
        ctx = self.context(step, output=output, answers=answers, tries=tries)
        budget = self._settle_timeout if settle else 0.0
        results = evaluate(step.checks_for(mode), ctx, settle_timeout=budget)
        if output is not None and output.timed_out:
            results.insert(0, timeout_result(step))
        return results

    def right_answers(self, step: Step) -> dict[str, set[str]]:
        """Every answer that is true right now, for each of the step's questions."""
        ctx = self.context(step)
        return {c.question: c.right_answers(ctx) for c in step.checks if isinstance(c, Question)}

    def context(
        self,
        step: Step,
        *,
        output: CommandResult | None = None,
        answers: Mapping[str, str] | None = None,
        tries: int = 0,
    ) -> CheckContext:
        snapshots = self._snapshots()
        return CheckContext(
            self._target(),
            step_started=snapshots.step_started.get(step.id, snapshots.lesson_started),
            output=output,
            snapshots=snapshots,
            answers=answers or {},
            tries=tries,
        )


def evaluate(
    checks: Sequence[Check], ctx: CheckContext, *, settle_timeout: float
) -> list[CheckResult]:
    """Judge ``checks``; retry the failing ones while their state may still change.

    Only live state can still change (a wrong output stays wrong), and each
    kind says how long it may take (``settle_seconds``); ``settle_timeout``
    caps the wait (0: judge once, as it is now).
    """
    results = [check.evaluate(ctx) for check in checks]
    started = time.monotonic()
    # Most state settles within a few to tens of ms (a container --rm removes after its
    # stop, a server starts listening): look again soon, then less and less often
    # (5, 10, 20 … 500 ms; a check costs about a millisecond locally).
    pause = 0.005
    while True:
        failing = [i for i, r in enumerate(results) if not r.ok]
        budget = min(settle_timeout, min((checks[i].settle_seconds for i in failing), default=0))
        if time.monotonic() - started >= budget:
            return results
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
        for i in failing:
            results[i] = checks[i].evaluate(ctx)


def timeout_result(step: Step) -> CheckResult:
    """The verdict on a command killed at the step's timeout."""
    return CheckResult(
        kind="timeout",
        description=f"the command finishes within {step.timeout:g} s",
        ok=False,
        expected=f"finishes within {step.timeout:g} s",
        observed=f"still running after {step.timeout:g} s: killed",
        hint="the command hung; check what it waits for (a prompt? the network?)",
    )
