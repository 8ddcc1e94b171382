"""The uniform interface of every check kind.

A check is declared in a lesson (the pydantic model: *what* to assert) and
evaluated against a target (through its typed probes, ``Target.listeners``,
``Target.interfaces``, …, and ``Target.docker``: *how* the host is read). Each
evaluation gives one :class:`CheckResult`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from ..commands import CommandResult
from ..snapshots import Baseline, Snapshots
from ..targets import Target

VAR_PATTERN = r"^@\{[a-z_][a-z0-9_]*\}$"

Mode = Literal["auto", "manual"]
"""How a step was done: ``auto``, the tool ran the command (its output is
known); ``manual``, the learner ran it in their own terminal (only the live
system and their answers to the step's questions are known)."""
MODES: frozenset[Mode] = frozenset({"auto", "manual"})

# Numbers in lessons may also be a variable (``port: "@{port}"``); the loader
# substitutes it before validating, so only the published schema needs to know.
Int = Annotated[
    int,
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": VAR_PATTERN}]}),
]


@dataclass(frozen=True)
class CheckResult:
    """One verdict, with the evidence a learner needs to act on it."""

    kind: str
    description: str
    ok: bool
    expected: str
    observed: str
    hint: str | None = None
    note: str | None = None  # e.g. "owner not visible without root"


@dataclass
class CheckContext:
    """What a check may look at."""

    target: Target
    step_started: float  # wall-clock time (epoch seconds) the step began
    output: CommandResult | None = None  # the step's own command, when the tool ran it
    snapshots: Snapshots = field(default_factory=Snapshots.empty)
    answers: Mapping[str, str] = field(default_factory=dict)  # question → the learner's answer
    tries: int = 0  # how many times the learner checked this step by hand, this one included


class Check(BaseModel, ABC):
    """Base of every check kind; subclasses set ``kind`` to a Literal."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: str
    hint: str | None = Field(default=None, description="Shown when this check fails.")

    settle_seconds: ClassVar[float] = 0.0
    """How long live state may take to get right (a server binding its port):
    the session retries a failing check for up to this long. 0: judged once."""

    modes: ClassVar[frozenset[Mode]] = MODES
    """The modes this kind can judge: output checks need ``auto``, questions ``manual``."""

    def baselines(self) -> tuple[Baseline, ...]:
        """State this check compares against, read at the lesson's or the step's start."""
        return ()

    @abstractmethod
    def describe(self) -> str:
        """What is asserted, in a few words ("port 80 is served by nginx")."""

    @abstractmethod
    def evaluate(self, ctx: CheckContext) -> CheckResult:
        """Read the target and judge; never raises for a plain failed assertion."""

    def result(
        self, ok: bool, expected: str, observed: str, note: str | None = None
    ) -> CheckResult:
        return CheckResult(
            kind=self.kind,
            description=self.describe(),
            ok=ok,
            expected=expected,
            observed=observed,
            hint=None if ok else self.hint,
            note=note,
        )


class TextMatch(BaseModel):
    """Options shared by checks that look at text: contains / matches / excludes."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    contains: str | None = Field(default=None, description="Substring that must appear.")
    matches: str | None = Field(
        default=None, description="Python regular expression that must match somewhere (re.search)."
    )
    excludes: str | None = Field(default=None, description="Substring that must not appear.")

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
            except (RecursionError, OverflowError) as exc:  # "(((…" 1,000 deep, "a{99999999999}"
                raise ValueError(f"not a usable regular expression: {exc}") from None
        return value

    def text_expectation(self) -> str:
        parts = []
        if self.contains is not None:
            parts.append(f"contains {self.contains!r}")
        if self.matches is not None:
            parts.append(f"matches /{self.matches}/")
        if self.excludes is not None:
            parts.append(f"does not contain {self.excludes!r}")
        return " and ".join(parts)

    def text_ok(self, text: str) -> bool:
        if self.contains is not None and self.contains not in text:
            return False
        if self.matches is not None and not re.search(self.matches, text, re.MULTILINE):
            return False
        return not (self.excludes is not None and self.excludes in text)


Where = Literal["host", "outside"]


class Vantage(BaseModel):
    """Where a check looks from: the target host itself, or outside it (another
    network namespace: a throwaway container on the target's default bridge)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    from_: Where = Field(
        default="host",
        alias="from",
        description="host: from the target host itself; outside: from a throwaway "
        "container on the target's default bridge network, as another machine would.",
    )
    probe_image: str = Field(
        default="busybox",
        description="The image of the outside probe (it needs busybox); a lesson "
        "variable named probe_image sets it for every outside check.",
    )

    @property
    def outside(self) -> bool:
        return self.from_ == "outside"


def excerpt(text: str, limit: int = 400) -> str:
    """The evidence shown for a text: stripped, cut to ``limit`` characters."""
    text = text.strip()
    if not text:
        return "(no output)"
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"
