"""Lesson format v1: the typed model behind ``lessons/*.yaml``.

The JSON Schema published as ``lessons/lesson.schema.json`` is generated from
these classes (``python -m hostnet.engine.schema``), so editors can complete
lesson files and the loader and the schema never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .checks import MODES, REGISTRY, Check, Mode, Question
from .snapshots import Baseline

FORMAT_VERSION = 1
SLUG = r"^[a-z0-9][a-z0-9-]*$"

if TYPE_CHECKING:
    CheckSpec = Check
else:
    # A discriminated union over every registered kind: `kind: port` picks PortCheck.
    CheckSpec = Annotated[Union[tuple(REGISTRY.values())], Field(discriminator="kind")]  # noqa: UP007


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Variable(_Model):
    """A value the learner (or a test) may change: ``--var image=…``."""

    default: str
    description: str = ""


class Concept(_Model):
    """One key point the lesson teaches, shown before the first step."""

    title: str
    text: str


class MultipleChoice(_Model):
    """A question with choices: a knowledge check, or a prediction before a step."""

    question: str
    choices: list[str] = Field(min_length=2)
    answer: int = Field(ge=1, description="The right choice, counted from 1.")
    explanation: str = Field(description="Why; shown once the answer is known.")

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> MultipleChoice:
        if self.answer > len(self.choices):
            raise ValueError(f"answer {self.answer} but only {len(self.choices)} choices")
        return self


class Step(_Model):
    id: str = Field(pattern=SLUG, description="Stable id (progress and the bot refer to it).")
    title: str
    explanation: str = Field(
        description="What the step shows and why; Markdown. On a challenge step: the goal."
    )
    command: str = Field(
        description="The exact command the learner types; on a challenge step, one way to "
        "reach the goal (the last hint, and what --auto runs)."
    )
    checks: list[CheckSpec] = Field(min_length=1, description="All must pass.")
    hints: list[str] = Field(default_factory=list, description="From gentle to explicit.")
    timeout: float = Field(
        default=60, gt=0, le=3600, description="Seconds before the command is killed."
    )
    challenge: bool = Field(
        default=False,
        description="The learner sees the goal, not the command; hints reveal the solution "
        "one layer at a time, the last one being the command. Verified by state only: "
        "no output checks.",
    )
    predict: MultipleChoice | None = Field(
        default=None,
        description="Asked before the learner runs the command; the answer is shown only "
        'after the step passed ("you predicted X; you saw Y").',
    )
    map: bool = Field(
        default=False, description="After the step's checks, show the live network map."
    )

    @model_validator(mode="after")
    def _state_only_when_a_challenge(self) -> Step:
        if self.challenge and any(check.kind == "output" for check in self.checks):
            raise ValueError(
                f"step {self.id!r} is a challenge: any way of reaching the goal must pass, so "
                "it is verified by state, not by what one command printed: use state checks "
                "(container, port, http, command, …) instead of output"
            )
        return self

    def hint_layers(self) -> list[str]:
        """The hints in the order they are given; a challenge's last layer is the command."""
        if not self.challenge:
            return list(self.hints)
        return [*self.hints, f"One way: `{self.command}`"]

    @model_validator(mode="after")
    def _verifiable_either_way(self) -> Step:
        for mode in sorted(MODES):
            if not self.checks_for(mode):
                how = "the tool runs the command" if mode == "auto" else "the learner runs it"
                raise ValueError(
                    f"step {self.id!r} has no check usable when {how} ({mode} mode): "
                    "add a state, logs or answer check"
                )
        questions = self.questions()
        if len(set(questions)) != len(questions):
            raise ValueError(f"step {self.id!r} asks the same question twice")
        return self

    def checks_for(self, mode: Mode) -> list[Check]:
        return [check for check in self.checks if mode in check.modes]

    def questions(self) -> list[str]:
        """What to ask a learner who ran the command in their own terminal."""
        return [c.question for c in self.checks if isinstance(c, Question)]

    def baselines(self) -> list[Baseline]:
        """What this step's checks compare against, taken at the lesson's or the step's start."""
        return [b for check in self.checks for b in check.baselines()]


class Lesson(_Model):
    format_version: Literal[1]
    id: str = Field(pattern=SLUG)
    number: int = Field(ge=1)
    title: str
    summary: str
    duration_minutes: int = Field(default=10, ge=1)
    source: str | None = Field(default=None, description="Where the material comes from.")
    variables: dict[str, Variable] = Field(default_factory=dict)
    prerequisites: list[CheckSpec] = Field(
        default_factory=list,
        description="Checked before anything runs; a failure stops the lesson.",
    )
    setup: list[str] = Field(
        default_factory=list,
        description="Commands run after the prerequisites and before step 1, to create the "
        "lesson's starting state (a host service holding a port, …); a failure stops the "
        "lesson and runs the cleanup. The cleanup must undo them.",
    )
    concepts: list[Concept] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    quiz: list[MultipleChoice] = Field(
        default_factory=list, description="Knowledge checks asked after the last step."
    )
    cleanup: list[str] = Field(
        default_factory=list,
        description="Commands that remove what the lesson created; run after success, "
        "failure or Ctrl-C. They must succeed when there is nothing to remove.",
    )

    @model_validator(mode="after")
    def _unique_step_ids(self) -> Lesson:
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise ValueError(f"duplicate step id {step.id!r}")
            seen.add(step.id)
        return self

    def baselines(self) -> list[Baseline]:
        return [b for step in self.steps for b in step.baselines()]

    def step(self, ref: str) -> Step:
        """A step by id or 1-based number."""
        for index, step in enumerate(self.steps, start=1):
            if ref in (step.id, str(index)):
                return step
        raise KeyError(ref)
