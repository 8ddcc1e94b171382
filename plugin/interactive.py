"""The interactive lesson: the learner types each command in their own terminal
and comes back to have it checked, or lets the tool run it.

Terminal I/O only; every verdict comes from the engine's lesson session.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from hostnet.engine.model import Lesson
from hostnet.engine.session import LessonSession

ReadLine = Callable[[str], str]
KEYS = "[c]heck  [r]un it for me  [h]int  [s]kip  [q]uit"


class Quit(Exception):
    """The learner chose to stop (or closed standard input)."""


class Walkthrough:
    """``session`` must emit to a renderer of this console (explanations shown,
    hints left to the ``h`` key)."""

    def __init__(
        self, session: LessonSession, console: Console, *, read_line: ReadLine = input, prog: str
    ) -> None:
        self.session = session
        self.lesson: Lesson = session.lesson
        self.console = console
        self.read_line = read_line
        self.prog = prog

    def run(self, *, start: int = 0) -> bool:
        """Walk the lesson from step ``start`` (earlier steps are replayed first)."""
        self._introduce()
        with self.session.attempt():
            try:
                if start:
                    self._replay(start)
                for index in range(start, len(self.lesson.steps)):
                    self._step(index)
                if self.lesson.quiz:
                    self._quiz()
            except Quit:
                self.session.stop()
                self.console.print(
                    f"Progress saved. `{self.prog} lesson {self.lesson.number}` offers to resume."
                )
        return self.session.ok

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
        """Run the steps done last time again, quietly, to rebuild their state
        (the renderer shows one line per step)."""
        self.console.print(f"\nReplaying steps 1-{start} …")
        if self.session.replay(start) < start:
            raise Quit

    def _step(self, index: int) -> None:
        step = self.lesson.steps[index]
        self.session.begin_step(index)
        self.console.print(
            "  Run the command in your own terminal, then come back and check it,"
            " or let me run it for you."
        )
        hints_shown = 0
        while True:
            choice = self._ask(f"  {KEYS} > ").strip().lower()[:1]
            if choice == "c":
                answers = {q: self._ask(f"  {q} > ") for q in step.questions()}
                outcome = self.session.check_step(index, answers)
            elif choice == "r":
                outcome = self.session.run_step(index)
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
                self.session.skip_step(index)
                self.console.print("  Skipped.")
                return
            elif choice == "q":
                raise Quit
            else:
                self.console.print(f"  Please type one of: {escape(KEYS)}")
                continue
            if outcome.passed:
                self.console.print("  [bold green]✓ Step done.[/]")
                return
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
            self.session.answer_quiz(index, int(raw))

    def _ask(self, prompt: str) -> str:
        try:
            return self.read_line(prompt)
        except EOFError:
            raise Quit from None
