"""``show N``: the lesson as Markdown, generated from its YAML."""

from __future__ import annotations

import sys

import typer

from ..context import LessonArg, VarOption, load


def register(app: typer.Typer) -> None:
    @app.command("show")
    def show(ref: LessonArg, var: VarOption = None) -> None:
        """Print a lesson as Markdown (handouts, docs)."""
        from hostnet.engine.markdown import lesson_markdown

        sys.stdout.write(lesson_markdown(load(ref, var)))
