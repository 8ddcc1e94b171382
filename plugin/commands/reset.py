"""``reset [N]``: remove what lessons created and clear progress."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..context import LEARNER, LabOption, TargetOption, make_target, out, store


def register(app: typer.Typer) -> None:
    @app.command("reset")
    def reset(
        ref: Annotated[
            str | None, typer.Argument(metavar="[LESSON]", help="One lesson (default: all).")
        ] = None,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")
        ] = False,
        lab: LabOption = None,
        target_url: TargetOption = None,
    ) -> None:
        """Run the lessons' cleanup (their containers, networks) and clear your progress."""
        from hostnet.engine.errors import UsageError
        from hostnet.engine.loader import find_lesson, load_all
        from hostnet.engine.session import LessonSession

        lessons = [find_lesson(ref)] if ref else load_all()
        names = ", ".join(str(lesson.number) for lesson in lessons)
        if not yes:
            if not sys.stdin.isatty():
                raise UsageError(
                    "reset needs confirmation", hint="pass --yes to reset without asking"
                )
            typer.confirm(
                f"Remove what lesson(s) {names} created and clear their progress?", abort=True
            )
        progress = store()
        target = make_target(lab, target_url)
        try:
            for lesson in lessons:
                results = LessonSession(lesson, target).cleanup()
                failed = [r for r in results if not r.ok]
                progress.reset(LEARNER, lesson.id)
                note = f"; cleanup failed: {failed[0].command}" if failed else ""
                out.print(f"Lesson {lesson.number}: cleaned up and progress cleared{note}")
        finally:
            target.close()
