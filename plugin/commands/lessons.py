"""``lessons``: every lesson with its number, title, duration and your progress.

``hostnet lessons [--json]`` as typed is answered before Typer is imported
(``main.py``); this is the same command for every other spelling
(``hostnet --debug lessons``, ``hostnet lessons --help``).
"""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("lessons")
    def lessons(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    ) -> None:
        """List the lessons, with your progress."""
        from ..listing import list_lessons

        list_lessons(as_json=as_json)
