"""``command``: run a probe command on the target; judge its exit code and output."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Check, CheckContext, CheckResult, Int, TextMatch, excerpt


class CommandCheck(Check, TextMatch):
    """A read-only command the lesson author trusts to tell the truth."""

    kind: Literal["command"] = "command"
    run: str = Field(description="Shell command, run on the target (variables are quoted).")
    exit_code: Int = Field(default=0, description="Expected exit code.")
    timeout: float = Field(default=10.0, gt=0, le=300)

    settle_seconds = 10.0

    def describe(self) -> str:
        """Every condition the pass verifies: the exit code, and what the output holds."""
        verdict = (
            f"`{self.run}` succeeds"
            if self.exit_code == 0
            else f"`{self.run}` exits {self.exit_code}"
        )
        text = self.text_expectation()
        return f"{verdict}, and its output {text}" if text else verdict

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        res = ctx.target.run(self.run, timeout=self.timeout)
        code = "timed out" if res.timed_out else f"exit {res.exit_code}"
        observed = f"{code}: {excerpt(res.output)}"
        ok = not res.timed_out and res.exit_code == self.exit_code and self.text_ok(res.output)
        return self.result(ok, self._expected(), observed)

    def _expected(self) -> str:
        text = self.text_expectation()
        return f"exit {self.exit_code}" + (f", output {text}" if text else "")
