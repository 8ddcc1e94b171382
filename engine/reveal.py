"""What a step shows once it is over: the answer to the prediction made before
it, and the answers to its questions when the learner no longer has to find them."""

from __future__ import annotations

from collections.abc import Mapping

from . import events as ev
from .model import Step
from .progress import Prediction


def prediction_revealed(step: Step, index: int, made: Prediction) -> ev.PredictionRevealed:
    """ "You predicted X; you saw Y", and why (the step passed: Y happened)."""
    assert step.predict is not None
    p = step.predict
    return ev.PredictionRevealed(
        step.id,
        index + 1,
        p.question,
        made.choice,
        p.choices[made.choice - 1],
        p.answer,
        p.choices[p.answer - 1],
        made.correct,
        p.explanation,
    )


def answers_revealed(step: Step, index: int, right: Mapping[str, set[str]]) -> ev.AnswersRevealed:
    answers = tuple(
        (question, " or ".join(sorted(found)) or "(nothing: check the step)")
        for question, found in right.items()
    )
    return ev.AnswersRevealed(step.id, index + 1, answers)
