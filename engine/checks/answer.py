"""Questions: what the learner saw, checked against the live system.

When learners run an observation command (``ip addr show``, ``netstat``) in
their own terminal, its output never reaches the tool, and the state it shows
was true before they ran it. So the step asks what they saw ("which PID owns
port 80?") and judges the answer against the target as it is now. The right
answer is never stored in the lesson.

* ``answer``: the right answer is a host fact the engine knows how to read.
* ``probe_answer``: the right answer is what a read-only command prints.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..snapshots import Baseline
from .base import Check, CheckContext, CheckResult, Int, Mode
from .interfaces import interfaces_at

Fact = Literal["interface_count", "interfaces_added", "port_owner_pid"]
_AT_LESSON_START = Baseline("interfaces", "lesson")


def _normal(text: str) -> str:
    """Answers compare without regard to case or runs of blanks."""
    return " ".join(text.split()).casefold()


class Question(Check):
    """Base of the kinds that ask; front ends list them with ``Step.questions()``."""

    question: str = Field(description="Asked when the learner ran the command themselves.")

    modes: ClassVar[frozenset[Mode]] = frozenset({"manual"})

    def describe(self) -> str:
        return f"your answer to: {self.question}"

    @abstractmethod
    def right_answers(self, ctx: CheckContext) -> set[str]:
        """Every answer that is true right now (several PIDs may own one port)."""

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        given = ctx.answers.get(self.question)
        if given is None or not given.strip():
            return self.result(False, "an answer", "not answered yet")
        right = self.right_answers(ctx)
        ok = _normal(given) in {_normal(answer) for answer in right}
        if ok or ctx.tries >= 2:
            expected = (
                " or ".join(sorted(right, key=lambda a: (len(a), a))) or "(nothing: check the step)"
            )
        else:  # a first wrong try: the hint first, the answer from the second try on
            expected = "(shown after a second wrong answer; read the hint)"
        return self.result(ok, expected, f"you answered {given.strip()!r}")


class AnswerCheck(Question):
    """The right answer is a fact read from the target."""

    kind: Literal["answer"] = "answer"
    fact: Fact = Field(
        description="What the answer must equal: interface_count (interfaces listed now), "
        "interfaces_added (since the lesson began), port_owner_pid (a PID owning `port`)."
    )
    port: Int | None = Field(default=None, ge=1, le=65535, description="For port_owner_pid.")

    @model_validator(mode="after")
    def _port_when_needed(self) -> AnswerCheck:
        if (self.fact == "port_owner_pid") != (self.port is not None):
            raise ValueError("`port` is required with fact port_owner_pid, and only with it")
        return self

    def baselines(self) -> tuple[Baseline, ...]:
        return (_AT_LESSON_START,) if self.fact == "interfaces_added" else ()

    def right_answers(self, ctx: CheckContext) -> set[str]:
        if self.fact == "interface_count":
            return {str(len(ctx.target.interfaces()))}
        if self.fact == "interfaces_added":
            before = {i.name for i in interfaces_at(ctx, _AT_LESSON_START) or ()}
            now = {i.name for i in ctx.target.interfaces()}
            return {str(len(now - before))}
        assert self.port is not None  # the validator requires it with port_owner_pid
        listeners = ctx.target.listeners(self.port)
        return {str(p.pid) for sock in listeners for p in sock.processes}


class ProbeAnswerCheck(Question):
    """The right answer is what a read-only command prints on the target now.

    Most of what later lessons show is Docker's own view (``docker inspect``,
    ``docker port``, a file inside a container): the lesson names the command.
    """

    kind: Literal["probe_answer"] = "probe_answer"
    run: str = Field(
        description="Read-only shell command run on the target when the learner answers "
        "(variables are quoted); each non-empty line it prints is a right answer, compared "
        "without regard to case or spacing."
    )
    timeout: float = Field(default=10.0, gt=0, le=300)

    def right_answers(self, ctx: CheckContext) -> set[str]:
        res = ctx.target.run(self.run, timeout=self.timeout)
        if not res.ok:
            return set()
        return {line.strip() for line in res.stdout.splitlines() if line.strip()}
