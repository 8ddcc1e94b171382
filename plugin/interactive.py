"""The interactive lesson: the learner types each command in their own terminal
and comes back to have it checked, or lets the tool run it.

Terminal I/O only; every verdict comes from the engine's lesson session. On a
terminal each key acts at once (c, r, h, m, s, q; a digit for a choice); without
one, a line is read instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.console import Console
from rich.text import Text

from hostnet.engine.model import Lesson
from hostnet.engine.session import LessonSession

from .keys import EndOfInput, Keyboard
from .render import hang

ReadLine = Callable[[str], str]
KEYS = "[c]heck  [r]un it for me  [h]int  [m]ap  [s]kip  [q]uit"


class Quit(Exception):
    """The learner chose to stop (or closed standard input)."""


class Walkthrough:
    """``session`` must emit to a renderer of this console (explanations shown,
    hints left to the ``h`` key). ``read_line`` replaces the keyboard (tests)."""

    def __init__(
        self,
        session: LessonSession,
        console: Console,
        *,
        read_line: ReadLine | None = None,
        prog: str,
        show_map: Callable[[int], None] | None = None,
    ) -> None:
        self.session = session
        self.lesson: Lesson = session.lesson
        self.console = console
        self.keyboard = Keyboard(console, read_line=read_line)
        self.prog = prog
        self.show_map = show_map  # m: the live network map, drawn for step N (0-based)

    def run(self, *, start: int = 0) -> bool:
        """Walk the lesson from step ``start`` (earlier steps are replayed first)."""
        stopped = False
        with self.session.attempt():  # the lesson's title, then …
            try:
                self._introduce()
                if start:
                    self._replay(start)
                for index in range(start, len(self.lesson.steps)):
                    self._step(index)
                if self.lesson.quiz:
                    self._quiz()
            except Quit:
                stopped = True
                self.session.stop()
        if stopped:
            self.console.print(
                f"Progress saved. `{self.prog} lesson {self.lesson.number}` offers to resume."
            )
        return self.session.ok

    def resume_point(self, saved: Mapping[str, str]) -> int:
        """Offer to continue after the last step done; 0 when starting afresh."""
        done = 0
        for step in self.lesson.steps:
            if saved.get(step.id) not in ("passed", "skipped"):
                break
            done += 1
        if done == 0 or done == len(self.lesson.steps):
            return 0
        hang(
            self.console,
            "",
            f"You finished {done} of {len(self.lesson.steps)} steps last time. "
            f"Resume at step {done + 1}? Steps 1-{done} are run again for you first "
            "to rebuild their state.",
        )
        answer = self._line("[Y/n] ")
        return 0 if answer.lower().startswith("n") else done

    # -- pieces ---------------------------------------------------------------------

    def _introduce(self) -> None:
        lesson = self.lesson
        hang(self.console, "", " ".join(lesson.summary.split()))
        if lesson.concepts:
            self.console.print("\n[bold]Key points[/]")
            for concept in lesson.concepts:
                text = Text.assemble((concept.title, "bold"), ": ", " ".join(concept.text.split()))
                hang(self.console, "  • ", text)

    def _replay(self, start: int) -> None:
        """Run the steps done last time again, quietly, to rebuild their state
        (the renderer shows one line per step)."""
        self.console.print(f"\nReplaying steps 1-{start} …")
        if self.session.replay(start) < start:
            raise Quit

    def _step(self, index: int) -> None:
        step = self.lesson.steps[index]
        self.session.begin_step(index)
        if step.predict is not None:
            self._predict(index)
        what = "a command that reaches the goal" if step.challenge else "the command"
        hang(
            self.console,
            "  ",
            f"Run {what} in your own terminal, then come back and check it,"
            " or let me run it for you.",
        )
        hints_shown = 0
        while True:
            choice = self._key(f"  {KEYS} > ")
            if choice == "c":
                answers = {q: self._answer(f"  {q} > ") for q in step.questions()}
                outcome = self.session.check_step(index, answers)
            elif choice == "r":
                outcome = self.session.run_step(index)
            elif choice == "h":
                hint = self.session.hint(index, hints_shown + 1)
                if hint.text is None:
                    self.console.print("  No more hints: press r and I will run it for you.")
                else:
                    hints_shown += 1
                    hang(self.console, f"  [yellow]Hint {hint.number}/{hint.total}:[/] ", hint.text)
                continue
            elif choice == "m" and self.show_map is not None:
                self.show_map(index)
                continue
            elif choice == "s":
                self.session.skip_step(index)
                self.console.print("  Skipped.")
                return
            elif choice == "q":
                raise Quit
            else:
                self.console.print(f"  Please type one of: {KEYS}", markup=False)
                continue
            if outcome.passed:
                helped = " (solved with help)" if outcome.helped else ""
                self.console.print(f"  [bold green]✓ Step done{helped}.[/]")
                return
            hang(
                self.console,
                "  ",
                "Not yet. Fix what the ✗ lines say and check again, press h for a hint,"
                " or r to let me run it.",
            )

    def _predict(self, index: int) -> None:
        """Ask for the prediction before the learner runs anything."""
        question = self.lesson.steps[index].predict
        assert question is not None
        hang(self.console, "  [bold]Predict:[/] ", question.question)
        self.session.predict(index, self._choose(question.choices))

    def _quiz(self) -> None:
        self.console.print("\n[bold]Knowledge check[/]")
        for index, question in enumerate(self.lesson.quiz):
            self.console.print()
            hang(self.console, f"{index + 1}. ", question.question)
            self.session.answer_quiz(index, self._choose(question.choices))

    def _choose(self, choices: list[str]) -> int:
        """One of ``choices``, by number (1-based); q quits."""
        for number, choice in enumerate(choices, start=1):
            hang(self.console, f"   {number}) ", choice)
        count = len(choices)
        while True:
            if count <= 9:
                raw = self._key(f"  Your answer (1-{count}) > ")
            else:  # two digits: a line
                raw = self._line(f"  Your answer (1-{count}) > ").strip()
            if raw.isdigit() and 1 <= int(raw) <= count:
                return int(raw)
            if raw.lower() == "q":
                raise Quit
            self.console.print(f"  Please type a number from 1 to {count}.")

    def _key(self, prompt: str) -> str:
        try:
            return self.keyboard.key(prompt)
        except EndOfInput:
            raise Quit from None

    def _line(self, prompt: str) -> str:
        try:
            return self.keyboard.line(prompt)
        except EndOfInput:
            raise Quit from None

    def _answer(self, prompt: str) -> str:
        """An answer to a question. After a key, an Enter pressed out of habit gives
        an empty line: that asks once more (an empty answer then counts as none)."""
        answer = self._line(prompt)
        if not answer.strip() and self.keyboard.single_keys:
            answer = self._line(prompt)
        return answer
