"""The interactive lesson: the learner types each command in their own terminal
and comes back to have it checked, or lets the tool run it.

Terminal I/O only; every verdict comes from the engine's runner.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from hostnet.engine.model import Lesson
from hostnet.engine.runner import Runner

from .render import TerminalRenderer

ReadLine = Callable[[str], str]
KEYS = "[c]heck  [r]un it for me  [h]int  [s]kip  [q]uit"


class Quit(Exception):
    """The learner chose to stop (or closed standard input)."""


class Walkthrough:
    def __init__(
        self, runner: Runner, console: Console, *, read_line: ReadLine = input, prog: str
    ) -> None:
        self.runner = runner
        self.lesson: Lesson = runner.lesson
        self.console = console
        self.read_line = read_line
        self.prog = prog
        self.renderer = TerminalRenderer(console, show_explanations=True)
        runner.emit = self.renderer

    def run(self, *, start: int = 0) -> bool:
        """Walk the lesson from step ``start`` (earlier steps are replayed first)."""
        self._introduce()
        with self.runner.session() as tally:
            try:
                if start:
                    self._replay(start)
                    tally.passed += start
                for index in range(start, len(self.lesson.steps)):
                    if self._step(index) == "passed":
                        tally.passed += 1
                if self.lesson.quiz:
                    self._quiz()
            except Quit:
                tally.stopped = True
        if tally.stopped:
            self.console.print(
                f"Progress saved. `{self.prog} lesson {self.lesson.number}` offers to resume."
            )
        return tally.ok

    def resume_point(self, saved: dict[str, str]) -> int:
        """Offer to continue after the last step done; 0 when starting afresh."""
        done = 0
        for step in self.lesson.steps:
            if saved.get(step.id) not in ("passed", "skipped"):
                break
            done += 1
        if done == 0 or done == len(self.lesson.steps):
            return 0
        answer = self._ask(
            f"You finished {done} of {len(self.lesson.steps)} steps last time. "
            f"Resume at step {done + 1}? Steps 1-{done} are run again for you first "
            "to rebuild their state. [Y/n] "
        )
        return 0 if answer.lower().startswith("n") else done

    # -- pieces ---------------------------------------------------------------------

    def _introduce(self) -> None:
        lesson = self.lesson
        self.console.print(escape(lesson.summary.strip()))
        if lesson.concepts:
            self.console.print("\n[bold]Key points[/]")
            for concept in lesson.concepts:
                self.console.print(
                    f"  • [bold]{escape(concept.title)}[/]: {escape(concept.text.strip())}"
                )

    def _replay(self, start: int) -> None:
        """Run the steps done last time again, quietly, to rebuild their state."""
        self.console.print(f"\nReplaying steps 1-{start} …")
        self.runner.emit = lambda event: None
        try:
            for index in range(start):
                if not self.runner.run_step(index):
                    step = self.lesson.steps[index]
                    self.console.print(
                        f"[red]✗ step {index + 1} ({escape(step.title)}) did not pass on replay;"
                        " continuing from there.[/]"
                    )
                    raise Quit
                self.console.print(f"  [green]✓[/] {escape(self.lesson.steps[index].title)}")
        finally:
            self.runner.emit = self.renderer

    def _step(self, index: int) -> str:
        step = self.lesson.steps[index]
        self.runner.start_step(index)
        self.console.print(
            "  Run the command in your own terminal, then come back and check it,"
            " or let me run it for you."
        )
        hints_shown = 0
        while True:
            choice = self._ask(f"  {KEYS} > ").strip().lower()[:1]
            if choice == "c":
                answers = {q: self._ask(f"  {q} > ") for q in step.questions()}
                results = self.runner.verify(step, mode="manual", answers=answers)
            elif choice == "r":
                results = self.runner.verify(step, mode="auto", output=self.runner.execute(step))
            elif choice == "h":
                if hints_shown < len(step.hints):
                    hint = step.hints[hints_shown]
                    hints_shown += 1
                    self.console.print(
                        f"  [yellow]Hint {hints_shown}/{len(step.hints)}:[/] {escape(hint)}"
                    )
                else:
                    self.console.print("  No more hints: press r and I will run it for you.")
                continue
            elif choice == "s":
                self.runner.skip_step(index)
                self.console.print("  Skipped.")
                return "skipped"
            elif choice == "q":
                raise Quit
            else:
                self.console.print(f"  Please type one of: {escape(KEYS)}")
                continue
            if self.runner.finish_step(index, results, with_hints=False):
                self.console.print("  [bold green]✓ Step done.[/]")
                return "passed"
            self.console.print(
                "  Not yet. Fix what the ✗ lines say and check again, press h for a hint,"
                " or r to let me run it."
            )

    def _quiz(self) -> None:
        self.console.print("\n[bold]Knowledge check[/]")
        for index, question in enumerate(self.lesson.quiz):
            self.console.print(f"\n{index + 1}. {escape(question.question)}")
            for number, choice in enumerate(question.choices, start=1):
                self.console.print(f"   {number}) {escape(choice)}")
            while True:
                raw = self._ask(f"  Your answer (1-{len(question.choices)}) > ").strip()
                if raw.isdigit() and 1 <= int(raw) <= len(question.choices):
                    break
                if raw.lower() == "q":
                    raise Quit
                self.console.print(f"  Please type a number from 1 to {len(question.choices)}.")
            self.runner.answer_quiz(index, int(raw))

    def _ask(self, prompt: str) -> str:
        try:
            return self.read_line(prompt)
        except EOFError:
            raise Quit from None
