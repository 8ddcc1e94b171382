"""``logs``: a container's log since the step (or lesson) began.

The trace an observation leaves: nginx logs every request, so a ``curl`` the
learner ran in their own terminal shows up here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Check, CheckContext, CheckResult, TextMatch, excerpt


class LogsCheck(Check, TextMatch):
    """Text in ``docker logs CONTAINER`` written since the step began."""

    kind: Literal["logs"] = "logs"
    container: str
    since: Literal["step", "lesson"] = Field(default="step")

    settle_seconds = 2.0

    def describe(self) -> str:
        return f"the log of {self.container} {self.text_expectation()} since the {self.since} began"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        since = ctx.step_started if self.since == "step" else ctx.snapshots.lesson_started
        text = ctx.target.docker().container_logs(self.container, since=float(since))
        if text is None:
            return self.result(False, self.text_expectation(), f"no container {self.container}")
        return self.result(self.text_ok(text), self.text_expectation(), excerpt(text))
