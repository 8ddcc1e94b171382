"""Render engine events in a terminal (or as JSON lines).

The engine decides what passed; this module only decides how it looks.

Command output is untrusted text: escape sequences that would act on the
learner's terminal (move the cursor, clear the screen, retitle the window, hide
a link behind text with OSC 8) are removed, rich's ``:emoji:`` codes are left
alone, and a flood is cut to its first and last lines ("… N more lines").
``--json`` keeps everything, as JSON escapes.
"""

from __future__ import annotations

import json
from collections import deque
from typing import IO

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from hostnet.engine import events as ev
from hostnet.engine.checks import CheckResult
from hostnet.engine.text import final_state, plain

from .mapview import draw_map

HEAD_LINES = 100  # of a command's output, shown as they arrive
TAIL_LINES = 20  # shown when the command ends, after "… N more lines"
LINE_CHARS = 2000  # of one line
FIELD_LINES = 40  # of a check's expected / observed / hint


def _cut(line: str, dropped: int = 0) -> str:
    more = dropped + max(0, len(line) - LINE_CHARS)
    return line[:LINE_CHARS] + f"… ({more} more characters)" if more else line


def hang(console: Console, first: str | Text, text: str | Text, *, style: str = "") -> None:
    """``first`` then ``text`` word-wrapped to the console's width, each further
    line indented to where ``text`` began (a hanging indent). Prose only: command
    output keeps its lines (the terminal wraps those, as for the command itself).

    ``first`` may hold Rich markup; ``text`` is plain unless it is a ``Text``;
    ``style`` is the whole line's. A console with ``soft_wrap`` on (output to a
    pipe or a file: kept greppable) gets each paragraph on one line.
    """
    head = Text.from_markup(first) if isinstance(first, str) else first
    body = text if isinstance(text, Text) else Text(plain(text))
    if console.soft_wrap:
        lines = [body]
    else:
        indent = cell_len(head.plain)
        width = max(indent + 20, console.width)
        lines = list(body.wrap(console, width - indent)) or [Text("")]
    for number, line in enumerate(lines):
        line.rstrip()
        shown = Text(style=style)  # one style for the line: no codes between its parts
        shown.append_text(head if number == 0 else Text(" " * cell_len(head.plain)))
        shown.append_text(line)
        console.print(shown, soft_wrap=True, highlight=False, emoji=False)


class TerminalRenderer:
    """Human output: each step, its command, the output as it streams, ✓/✗ per check."""

    def __init__(
        self,
        console: Console,
        *,
        show_output: bool = True,
        show_explanations: bool = False,
        show_hints: bool = True,
        interactive: bool = False,
    ) -> None:
        self.console = console
        self.show_output = show_output
        self.show_explanations = show_explanations
        self.show_hints = show_hints  # False: the learner asks for them one by one
        # The learner types the commands: a challenge's is not shown (hints reveal it).
        self.interactive = interactive
        self._pending: dict[str, str] = {}
        self._cleaned = True  # until a CleanupFinished says otherwise
        self._pending_dropped: dict[str, int] = {}  # characters cut from an endless line
        self._shown = 0  # lines of this command's output printed so far
        self._hidden = 0  # lines held back (the tail's are printed at the end)
        self._tail: deque[tuple[str, int]] = deque(maxlen=TAIL_LINES)  # (line, dropped)
        self.failed_checks: list[CheckResult] = []

    def _print(self, text: str, *, style: str = "", markup: bool = False) -> None:
        """One line as it is (command output: the terminal wraps it, as for the command)."""
        self.console.print(
            text, style=style, markup=markup, highlight=False, emoji=False, soft_wrap=True
        )

    def _hang(self, first: str, text: str | Text, *, style: str = "") -> None:
        hang(self.console, first, text, style=style)

    def __call__(self, event: ev.Event) -> None:
        method = getattr(self, "_" + event.name(), None)
        if method is not None:
            method(event)

    def _lesson_started(self, e: ev.LessonStarted) -> None:
        self.console.rule(
            f"[bold]Lesson {e.number}: {escape(plain(e.title))}[/]  "
            f"[dim](on {escape(plain(e.target))})[/]"
        )

    def _step_started(self, e: ev.StepStarted) -> None:
        self._shown = self._hidden = 0
        self._tail.clear()
        self.console.print()
        challenge = " (a challenge)" if e.challenge else ""
        self._hang(f"[{e.index}/{e.total}] ", e.title + challenge, style="bold")
        if self.show_explanations and e.explanation:
            first = "  [bold]Goal:[/] " if e.challenge else "  "
            for paragraph in e.explanation.strip().split("\n\n"):
                self._hang(first, " ".join(paragraph.split()))
                first = "  "
        if e.challenge and self.interactive:
            self._hang(
                "  ",
                "No command this time: find one that reaches the goal. h gives hints, "
                "the last one is a command that works.",
                style="dim",
            )
        else:
            self._print(f"  $ {plain(e.command)}", style="cyan")

    def _output(self, e: ev.Output) -> None:
        # Line-buffered per stream, so progress meters that redraw with \r
        # show only their final state, as a terminal would.
        if not self.show_output:
            return
        buffered = self._pending.get(e.stream, "") + e.text
        *lines, rest = buffered.split("\n")
        for line in lines:
            self._output_line(line, self._pending_dropped.pop(e.stream, 0))
        if len(rest) > 2 * LINE_CHARS:  # a line without end: keep memory bounded
            self._pending_dropped[e.stream] = (
                self._pending_dropped.get(e.stream, 0) + len(rest) - LINE_CHARS
            )
            rest = rest[:LINE_CHARS]
        self._pending[e.stream] = rest

    def _output_line(self, line: str, dropped: int = 0) -> None:
        if self._shown < HEAD_LINES:
            self._shown += 1
            self._print_output(line, dropped)
            return
        if len(self._tail) == TAIL_LINES:
            self._hidden += 1
        keep = 2 * LINE_CHARS
        self._tail.append((line[:keep], dropped + max(0, len(line) - keep)))

    def _print_output(self, line: str, dropped: int = 0) -> None:
        self._print(f"  │ {plain(_cut(final_state(line), dropped))}", style="dim")

    def _command_finished(self, e: ev.CommandFinished) -> None:
        for stream in sorted(self._pending):
            if self._pending[stream]:
                self._output_line(self._pending[stream], self._pending_dropped.get(stream, 0))
        self._pending.clear()
        self._pending_dropped.clear()
        if self._hidden:
            s = "s" if self._hidden != 1 else ""
            self._print(f"  │ … {self._hidden} more line{s}", style="dim")
        for line, dropped in self._tail:
            self._print_output(line, dropped)
        self._shown = self._hidden = 0
        self._tail.clear()

    def _check_evaluated(self, e: ev.CheckEvaluated) -> None:
        self._check(e.result)

    def _check(self, result: CheckResult) -> None:
        mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
        self._hang(f"  {mark} ", result.description)
        if not result.ok:
            self.failed_checks.append(result)
            self._field("expected", result.expected)
            self._field("observed", result.observed)
            if result.hint:
                self._field("hint", result.hint, style="yellow")
        if result.note:
            self._field("note", result.note, style="yellow")

    def _field(self, label: str, text: str, style: str = "") -> None:
        parts = text.rstrip("\n").split("\n", FIELD_LINES)  # (the last: the lines not shown)
        keep = 2 * LINE_CHARS
        lines = [
            _cut(plain(final_state(part[:keep])), max(0, len(part) - keep))
            for part in parts[:FIELD_LINES]
        ]
        if len(parts) > FIELD_LINES:
            more = parts[FIELD_LINES].count("\n") + 1
            lines.append(f"… {more} more line{'s' if more != 1 else ''}")
        label = f"      {label:<9}"
        self._hang(f"[{style}]{label}[/]" if style else label, "\n".join(lines), style=style)

    def _quiz_answered(self, e: ev.QuizAnswered) -> None:
        if e.correct:
            self.console.print("  [green]✓ Right.[/]")
        else:
            self._hang(f"  [red]✗ The answer is {e.right_choice}.[/] ", e.explanation)

    def _setup_finished(self, e: ev.SetupFinished) -> None:
        self._print("Setting up the lesson's starting state:", style="dim")
        for result in e.results:
            mark = "[green]✓[/]" if result.ok else "[red]✗[/]"
            self._hang(f"  {mark} ", f"$ {result.command}", style="dim")

    def _prediction_made(self, e: ev.PredictionMade) -> None:
        self._print(f"  Your prediction: {e.choice}. Now let us see.", style="dim")

    def _prediction_revealed(self, e: ev.PredictionRevealed) -> None:
        verdict = "[green]✓ right[/]" if e.correct else "[yellow]not quite[/]"
        self._hang(f"  {verdict}: ", f"you predicted {e.chosen!r}; you saw {e.right!r}.")
        self._hang("    ", e.explanation)

    def _answers_revealed(self, e: ev.AnswersRevealed) -> None:
        for question, answer in e.answers:
            self._hang("  [dim]answer:[/] ", f"{question} {answer}")

    def _network_mapped(self, e: ev.NetworkMapped) -> None:
        if e.map is not None:
            draw_map(self.console, e.map)
        else:
            self._hang("  [yellow]The network map could not be read:[/] ", e.problem or "")

    def _step_replayed(self, e: ev.StepReplayed) -> None:
        if e.passed:
            self._hang("  [green]✓[/] ", e.title)
        else:
            self._hang(
                "[red]✗[/] ",
                f"step {e.index} ({e.title}) did not pass when replayed; the lesson stops here.",
                style="red",
            )

    def _step_finished(self, e: ev.StepFinished) -> None:
        if self.show_hints and not e.passed and e.hints:
            self.console.print("  [yellow]Hints:[/]")
            for hint in e.hints:
                self._hang("    • ", hint, style="yellow")

    def _cleanup_finished(self, e: ev.CleanupFinished) -> None:
        self._cleaned = e.ok
        if e.target_lost:
            self._print(
                f"[yellow]cleanup could not run: {escape(plain(e.target_lost))}[/]", markup=True
            )
        elif not e.ok:
            for result in e.results:
                if not result.ok:
                    self._print(
                        f"[yellow]cleanup: `{escape(plain(result.command))}` failed "
                        f"(exit {result.exit_code})[/]",
                        markup=True,
                    )

    def _lesson_finished(self, e: ev.LessonFinished) -> None:
        # Only claim a clean-up that happened (a lab may have dropped meanwhile).
        removed = (
            "what the lesson started was removed"
            if self._cleaned
            else "its clean-up did not complete (see above; `reset` retries it)"
        )
        self.console.print()
        done = f"{e.steps_passed} of {e.total} steps"
        if e.interrupted:
            self._hang("", f"Interrupted after {done}; {removed}.", style="yellow")
        elif e.stopped:
            self._hang("", f"Stopped after {done}; {removed}.")
        elif e.passed:
            verified = (
                f"✓ Lesson passed: {e.total} of {e.total} steps verified in {e.duration:.1f} s."
            )
            self._hang("", verified, style="bold green")
        else:
            failed = f"✗ Lesson failed at step {e.steps_passed + 1} of {e.total}."
            again = f"{removed[0].upper() + removed[1:]}; fix the problem and run it again."
            self._hang("", Text.assemble((failed, "bold red"), " ", again))


class JsonRenderer:
    """One JSON object per line and per event (``--json``)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def __call__(self, event: ev.Event) -> None:
        self.stream.write(json.dumps(event.to_dict()) + "\n")
        self.stream.flush()
