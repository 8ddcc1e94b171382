"""The list of lessons with your progress (``hostnet lessons``), without Typer.

The first command a learner types: ``main.py`` runs it before the Typer app is
even imported, and the lessons come from their cached headers
(:mod:`hostnet.engine.catalog`), not from parsing every lesson file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .consoles import LEARNER, out

if TYPE_CHECKING:
    from hostnet.engine.catalog import LessonHeader
    from hostnet.engine.progress import ProgressStore


def status_of(lesson: LessonHeader, progress: ProgressStore) -> str:
    done = progress.lesson(LEARNER, lesson.id)
    if not done:
        return "not started"
    finished = [s for s in lesson.step_ids if done.get(s) and done[s].status != "failed"]
    if len(finished) == len(lesson.step_ids):
        return "done"
    return f"step {len(finished) + 1} of {len(lesson.step_ids)}"


def list_lessons(*, as_json: bool) -> None:
    from rich.markup import escape

    from hostnet.engine.catalog import headers
    from hostnet.engine.progress import ProgressStore

    progress = ProgressStore()
    rows = [(lesson, status_of(lesson, progress)) for lesson in headers()]
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {
                        "number": lesson.number,
                        "id": lesson.id,
                        "title": lesson.title,
                        "duration_minutes": lesson.duration_minutes,
                        "steps": len(lesson.step_ids),
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
