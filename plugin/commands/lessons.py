"""``lessons``: every lesson with its number, title, duration and your progress."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from hostnet.engine.loader import load_all
from hostnet.engine.model import Lesson
from hostnet.engine.progress import ProgressStore

from ..context import LEARNER, out, store


def status_of(lesson: Lesson, progress: ProgressStore) -> str:
    done = progress.lesson(LEARNER, lesson.id)
    if not done:
        return "not started"
    finished = [s for s in lesson.steps if done.get(s.id) and done[s.id].status != "failed"]
    if len(finished) == len(lesson.steps):
        return "done"
    return f"step {len(finished) + 1} of {len(lesson.steps)}"


def register(app: typer.Typer) -> None:
    @app.command("lessons")
    def lessons(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List the lessons, with your progress."""
        progress = store()
        rows = [(lesson, status_of(lesson, progress)) for lesson in load_all()]
        if as_json:
            out.print_json(
                json.dumps(
                    [
                        {
                            "number": lesson.number,
                            "id": lesson.id,
                            "title": lesson.title,
                            "duration_minutes": lesson.duration_minutes,
                            "steps": len(lesson.steps),
                            "status": status,
                        }
                        for lesson, status in rows
                    ]
                )
            )
            return
        for lesson, status in rows:
            out.print(
                f"{lesson.number:>3}  {escape(lesson.title)}  "
                f"[dim]({lesson.id}, ~{lesson.duration_minutes} min)[/]  {status}"
            )
