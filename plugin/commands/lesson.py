"""``lesson N``: walk a lesson interactively, or run it unattended with ``--auto``."""

from __future__ import annotations

import sys
from typing import Annotated

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
    state,
    store,
)


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
        from hostnet.engine.errors import ExitCode
        from hostnet.engine.session import LessonSession

        from ..render import JsonRenderer, TerminalRenderer

        chosen = load(ref, var)
        progress = store()
        target = make_target(lab, target_url)
        try:
            if auto or json_lines:
                renderer = JsonRenderer(sys.stdout) if json_lines else TerminalRenderer(out)
                session = LessonSession(
                    chosen, target, emit=renderer, progress=progress, learner=LEARNER
                )
                passed = session.run_all()
            else:
                from hostnet.engine.netmap.live import map_event

                from ..interactive import Walkthrough

                shown = TerminalRenderer(
                    out, show_explanations=True, show_hints=False, interactive=True
                )
                session = LessonSession(
                    chosen, target, emit=shown, progress=progress, learner=LEARNER
                )
                step_ids = [step.id for step in chosen.steps]
                walk = Walkthrough(
                    session,
                    out,
                    prog=state.prog,
                    show_map=lambda i: shown(map_event(step_ids[i], i + 1, target)),
                )
                saved = {k: v.status for k, v in progress.lesson(LEARNER, chosen.id).items()}
                passed = walk.run(start=walk.resume_point(saved))
        finally:
            target.close()
        if not passed:
            raise typer.Exit(ExitCode.CHECK_FAILED)
