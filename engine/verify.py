"""Evaluate a step's checks: live state gets a bounded time to settle."""

from __future__ import annotations

import time
from collections.abc import Sequence

from .checks import Check, CheckContext, CheckResult
from .model import Step


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
    pause = 0.05
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
