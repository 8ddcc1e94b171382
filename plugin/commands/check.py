"""``check N [--step S]``: verify the system as it is now, running nothing."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from ..context import (
    LEARNER,
    LabOption,
    LessonArg,
    TargetOption,
    VarOption,
    load,
    make_target,
    out,
    store,
)

if TYPE_CHECKING:
    from hostnet.engine.model import Lesson
    from hostnet.engine.progress import StepProgress


def register(app: typer.Typer) -> None:
    @app.command("check")
    def check(
        ref: LessonArg,
        step_ref: Annotated[
            str | None,
            typer.Option("--step", "-s", help="Step number or id (default: the first not passed)."),
        ] = None,
        answer: Annotated[
            list[str] | None,
            typer.Option("--answer", "-a", help="Answers to the step's questions, in order."),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
        var: VarOption = None,
        lab: LabOption = None,
        target_url: TargetOption = None,
    ) -> None:
        """Check a step you did by hand; runs nothing (exit 0 pass, 1 fail).

        Questions the step asks (what you saw) are prompted for, or given in
        order with --answer.
        """
        from hostnet.engine.errors import ExitCode
        from hostnet.engine.session import LessonSession

        from ..render import TerminalRenderer

        lesson = load(ref, var)
        progress = store()
        index = _step_index(lesson, step_ref, progress.lesson(LEARNER, lesson.id))
        step = lesson.steps[index]
        questions = step.questions()
        given = answer or []
        if len(given) > len(questions):
            raise typer.BadParameter(
                f"step {step.id!r} asks {len(questions)} question(s)", param_hint="--answer"
            )
        answers = dict(zip(questions, given, strict=False))
        for question in questions[len(given) :]:
            answers[question] = typer.prompt(question, default="", show_default=False)
        target = make_target(lab, target_url)
        try:
            session = LessonSession(
                lesson,
                target,
                emit=None if as_json else TerminalRenderer(out),
                progress=progress,
                learner=LEARNER,
            )
            session.resume(since=0.0)  # done entirely by hand: every log line counts
            if not as_json:
                out.print(f"[bold]Lesson {lesson.number}, step {index + 1}: {step.title}[/]")
            outcome = session.check_step(index, answers)
        finally:
            target.close()
        if as_json:
            verdict = {"lesson": lesson.id, "step": step.id, "passed": outcome.passed}
            checks = [asdict(r) for r in outcome.results]
            out.print_json(json.dumps({**verdict, "checks": checks}))
        if not outcome.passed:
            raise typer.Exit(ExitCode.CHECK_FAILED)


def _step_index(lesson: Lesson, ref: str | None, saved: dict[str, StepProgress]) -> int:
    from hostnet.engine.errors import LessonError

    if ref is None:
        pending = [
            i
            for i, s in enumerate(lesson.steps)
            if s.id not in saved or saved[s.id].status == "failed"
        ]
        return pending[0] if pending else len(lesson.steps) - 1
    try:
        return lesson.steps.index(lesson.step(ref))
    except KeyError:
        steps = ", ".join(f"{i + 1} ({s.id})" for i, s in enumerate(lesson.steps))
        raise LessonError(
            f"lesson {lesson.number} has no step {ref!r}; its steps: {steps}"
        ) from None
