"""``output``: what the step's own command printed (and its exit code).

This is how observation steps (``curl``, ``ip addr show``, ``netstat``) are
verified: they change nothing, so only their output proves they were run and
showed what the lesson is about. The daemon's warnings land here too.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from .base import Check, CheckContext, CheckResult, Int, Mode, TextMatch, excerpt


class OutputCheck(Check, TextMatch):
    """The step's command output (stdout and stderr unless ``stream`` says)."""

    kind: Literal["output"] = "output"
    stream: Literal["stdout", "stderr", "both"] = "both"
    exit_code: Int | None = Field(default=0, description="Expected exit code; null: any.")

    modes: ClassVar[frozenset[Mode]] = frozenset({"auto"})

    def describe(self) -> str:
        text = self.text_expectation()
        where = "the command's output" if self.stream == "both" else f"the command's {self.stream}"
        return f"{where} {text}" if text else "the command succeeds"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        res = ctx.output
        if res is None:
            return self.result(False, self._expected(), "the step's command has not run yet")
        text = {"stdout": res.stdout, "stderr": res.stderr, "both": res.output}[self.stream]
        code = "timed out" if res.timed_out else f"exit {res.exit_code}"
        ok = not res.timed_out and self.text_ok(text)
        if self.exit_code is not None and res.exit_code != self.exit_code:
            ok = False
        return self.result(ok, self._expected(), f"{code}: {excerpt(text)}")

    def _expected(self) -> str:
        parts = [] if self.exit_code is None else [f"exit {self.exit_code}"]
        if text := self.text_expectation():
            parts.append(f"output {text}")
        return ", ".join(parts) or "any result"
