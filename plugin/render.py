"""Render engine events in a terminal (or as JSON lines).

The engine decides what passed; this module only decides how it looks.
"""

from __future__ import annotations

import json
from typing import IO

from rich.console import Console
from rich.markup import escape

from hostnet.engine import events as ev
from hostnet.engine.checks import CheckResult


class TerminalRenderer:
    """Human output: each step, its command, the output as it streams, ✓/✗ per check."""

    def __init__(
        self, console: Console, *, show_output: bool = True, show_explanations: bool = False
    ) -> None:
        self.console = console
        self.show_output = show_output
        self.show_explanations = show_explanations
        self._pending: dict[str, str] = {}
        self.failed_checks: list[CheckResult] = []

    def __call__(self, event: ev.Event) -> None:
        method = getattr(self, "_" + event.to_dict()["event"], None)
        if method is not None:
            method(event)

    def _lesson_started(self, e: ev.LessonStarted) -> None:
        self.console.rule(f"[bold]Lesson {e.number}: {escape(e.title)}[/]  [dim](on {e.target})[/]")

    def _step_started(self, e: ev.StepStarted) -> None:
        self.console.print()
        self.console.print(f"[bold][{e.index}/{e.total}] {escape(e.title)}[/]")
        if self.show_explanations and e.explanation:
            self.console.print(f"  {escape(e.explanation.strip())}")
        self.console.print(f"  [cyan]$ {escape(e.command)}[/]")

    def _output(self, e: ev.Output) -> None:
        # Line-buffered per stream, so progress meters that redraw with \r
        # show only their final state, as a terminal would.
        if not self.show_output:
            return
        buffered = self._pending.get(e.stream, "") + e.text
        *lines, self._pending[e.stream] = buffered.split("\n")
        for line in lines:
            self._output_line(line)

    def _output_line(self, line: str) -> None:
        line = line.rsplit("\r", 1)[-1]
        self.console.print(f"  │ {line}", style="dim", markup=False, highlight=False)

    def _command_finished(self, e: ev.CommandFinished) -> None:
        for stream in sorted(self._pending):
            if self._pending[stream]:
                self._output_line(self._pending[stream])
        self._pending.clear()

    def _check_evaluated(self, e: ev.CheckEvaluated) -> None:
        self._check(e.result)

    def _check(self, result: CheckResult) -> None:
        mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
        self.console.print(f"  {mark} {escape(result.description)}", highlight=False)
        if not result.ok:
            self.failed_checks.append(result)
            self._field("expected", result.expected)
            self._field("observed", result.observed)
            if result.hint:
                self._field("hint", result.hint, style="yellow")
        if result.note:
            self._field("note", result.note, style="yellow")

    def _field(self, label: str, text: str, style: str = "") -> None:
        lines = text.splitlines() or [""]
        self.console.print(
            f"      {label:<9}{lines[0]}", style=style, markup=False, highlight=False
        )
        for line in lines[1:]:
            self.console.print(f"      {'':<9}{line}", style=style, markup=False, highlight=False)

    def _quiz_answered(self, e: ev.QuizAnswered) -> None:
        if e.correct:
            self.console.print("  [green]✓ Right.[/]")
        else:
            self.console.print(
                f"  [red]✗ The answer is {e.right_choice}.[/] {escape(e.explanation)}"
            )

    def _step_finished(self, e: ev.StepFinished) -> None:
        if not e.passed and e.hints:
            self.console.print("  [yellow]Hints:[/]")
            for hint in e.hints:
                self.console.print(f"    • {escape(hint)}", style="yellow", highlight=False)

    def _cleanup_finished(self, e: ev.CleanupFinished) -> None:
        if not e.ok:
            for result in e.results:
                if not result.ok:
                    self.console.print(
                        f"[yellow]cleanup: `{escape(result.command)}` failed "
                        f"(exit {result.exit_code})[/]"
                    )

    def _lesson_finished(self, e: ev.LessonFinished) -> None:
        self.console.print()
        if e.interrupted:
            self.console.print(
                f"[yellow]Interrupted after {e.steps_passed} of {e.total} steps; "
                "the lesson's containers were removed.[/]"
            )
        elif e.stopped:
            self.console.print(
                f"Stopped after {e.steps_passed} of {e.total} steps; "
                "what the lesson started was removed."
            )
        elif e.passed:
            self.console.print(
                f"[bold green]✓ Lesson passed: {e.total} of {e.total} steps verified "
                f"in {e.duration:.1f} s.[/]"
            )
        else:
            self.console.print(
                f"[bold red]✗ Lesson failed at step {e.steps_passed + 1} of {e.total}.[/] "
                "What the lesson started was cleaned up; fix the problem and run it again."
            )


class JsonRenderer:
    """One JSON object per line and per event (``--json``)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, event: ev.Event) -> None:
        self.stream.write(json.dumps(event.to_dict()) + "\n")
        self.stream.flush()
