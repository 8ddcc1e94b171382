"""``doctor``: the prerequisites of the lessons, each with a remedy."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from ..context import LabOption, TargetOption, make_target, out

MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor(
        image: Annotated[str, typer.Option(help="The lesson image to look for.")] = "nginx",
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        lab: LabOption = None,
        target_url: TargetOption = None,
    ) -> None:
        """Check the prerequisites of the lessons and say how to fix what is missing."""
        from rich.markup import escape

        from hostnet.engine.doctor import examine
        from hostnet.engine.errors import ExitCode

        target = make_target(lab, target_url)
        try:
            findings = examine(target, image=image)
        finally:
            target.close()
        if as_json:
            out.print_json(json.dumps([asdict(f) for f in findings]))
        else:
            for f in findings:
                out.print(f"{MARKS[f.level]} {f.name:<14} {escape(f.detail)}")
                if f.remedy and f.level != "ok":
                    out.print(f"  {'':<14} [dim]→ {escape(f.remedy)}[/]")
        if any(f.level == "fail" for f in findings):
            raise typer.Exit(ExitCode.ENVIRONMENT)
