"""``lesson N``: walk a lesson interactively, or run it unattended with ``--auto``
(``lessonrun.py``)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..context import LabOption, LessonArg, TargetOption, VarOption


def register(app: typer.Typer) -> None:
    @app.command("lesson")
    def lesson(
        ref: LessonArg,
        auto: Annotated[
            bool, typer.Option("--auto", help="Run every step for you and verify it (demos, CI).")
        ] = False,
        json_lines: Annotated[
            bool,
            typer.Option("--json", help="Unattended, one JSON event per line (implies --auto)."),
        ] = False,
        var: VarOption = None,
        lab: LabOption = None,
        target_url: TargetOption = None,
    ) -> None:
        """Learn a lesson on this machine's Docker engine, each step verified.

        Interactive by default: run each command in your own terminal and come
        back to check it, or let the tool run it. Keys: c check, r run it for me,
        h hint, m the live network map, s skip, q quit. Progress is saved after
        each step.
        """
        from ..lessonrun import run_lesson

        code = run_lesson(
            ref, auto=auto, json_lines=json_lines, var=var, lab=lab, target_url=target_url
        )
        if code:
            raise typer.Exit(code)
