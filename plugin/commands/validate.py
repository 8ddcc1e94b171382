"""``validate [PATH…]``: lint lesson files (for authors), with file:line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..context import err, out


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate(
        paths: Annotated[
            list[Path] | None,
            typer.Argument(metavar="[PATH]...", help="Lesson files or folders (default: shipped)."),
        ] = None,
    ) -> None:
        """Check lesson files: schema, variables, step ids, hints. Exit 3 on errors."""
        from rich.markup import escape

        from hostnet.engine.errors import ExitCode
        from hostnet.engine.lessonfiles import lesson_files
        from hostnet.engine.lint import lint

        files: list[Path] = []
        wanted: list[Path | None] = list(paths) if paths else [None]
        for path in wanted:
            if path is None or path.is_dir():
                files += lesson_files(path)
            elif path.exists():
                files.append(path)
            else:
                err.print(f"[red]error:[/] {escape(str(path))}: no such file or folder")
                raise typer.Exit(ExitCode.USAGE)
        problems = lint(files)
        for problem in problems:
            color = "red" if problem.level == "error" else "yellow"
            err.print(f"[{color}]{problem.level}:[/] {escape(problem.message)}")
        errors = sum(p.level == "error" for p in problems)
        out.print(
            f"{len(files)} lesson file(s) checked: {errors} error(s), {len(problems) - errors} warning(s)"
        )
        if errors:
            raise typer.Exit(ExitCode.LESSON_ERROR)
