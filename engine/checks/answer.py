"""``answer``: a question about what the learner saw, checked against the live system.

When learners run an observation command (``ip addr show``, ``netstat``) in
their own terminal, its output never reaches the tool, and the state it shows
was true before they ran it. So the step asks what they saw ("which PID owns
port 80?") and judges the answer against the host as it is now.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from .base import Check, CheckContext, CheckResult, Int, Mode
from .interfaces import snapshot_key

Fact = Literal["interface_count", "interfaces_added", "port_owner_pid"]


class AnswerCheck(Check):
    """Ask a question; the right answer is read from the target, never stored in the lesson."""

    kind: Literal["answer"] = "answer"
    question: str = Field(description="Asked when the learner ran the command themselves.")
    fact: Fact = Field(
        description="What the answer must equal: interface_count (interfaces listed now), "
        "interfaces_added (since the lesson began), port_owner_pid (a PID owning `port`)."
    )
    port: Int | None = Field(default=None, ge=1, le=65535, description="For port_owner_pid.")

    modes: ClassVar[frozenset[Mode]] = frozenset({"manual"})

    @model_validator(mode="after")
    def _port_when_needed(self) -> AnswerCheck:
        if (self.fact == "port_owner_pid") != (self.port is not None):
            raise ValueError("`port` is required with fact port_owner_pid, and only with it")
        return self

    def describe(self) -> str:
        return f"your answer to: {self.question}"

    def right_answers(self, ctx: CheckContext) -> set[str]:
        """Every answer that is true right now (several PIDs may own one port)."""
        if self.fact == "interface_count":
            return {str(len(ctx.target.facts("interfaces")))}
        if self.fact == "interfaces_added":
            before = {i["name"] for i in ctx.snapshots.get(snapshot_key("lesson"), [])}
            now = {i["name"] for i in ctx.target.facts("interfaces")}
            return {str(len(now - before))}
        listeners = ctx.target.facts("listeners", str(self.port))
        return {str(p["pid"]) for sock in listeners for p in sock["processes"]}

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        given = ctx.answers.get(self.question)
        if given is None or not given.strip():
            return self.result(False, "an answer", "not answered yet")
        right = self.right_answers(ctx)
        expected = (
            " or ".join(sorted(right, key=lambda a: (len(a), a))) or "(nothing: check the step)"
        )
        return self.result(given.strip() in right, expected, f"you answered {given.strip()!r}")
