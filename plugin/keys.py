"""Reading the learner's answers: one key, without Enter, on a terminal; a line
otherwise (a pipe, a test, a terminal-less CI job).

On a terminal the key acts as soon as it is pressed; an Enter pressed out of
habit afterwards is ignored. Ctrl-C still interrupts (the terminal keeps its
signal keys), and Ctrl-D or the end of input quits.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from collections.abc import Callable

from rich.console import Console

_IGNORED = {"\r", "\n", " "}
_EOF = "\x04"  # Ctrl-D


class EndOfInput(Exception):
    """The learner closed standard input (Ctrl-D)."""


class Keyboard:
    def __init__(self, console: Console, *, read_line: Callable[[str], str] | None = None) -> None:
        self.console = console
        self._read_line = read_line or input
        self.single_keys = read_line is None and _is_terminal()

    def key(self, prompt: str) -> str:
        """The key pressed, in lower case (or the first character of a line)."""
        if not self.single_keys:
            return self.line(prompt).strip().lower()[:1]
        self.console.print(prompt, end="", markup=False, highlight=False, soft_wrap=True)
        while True:
            pressed = _read_key()
            if pressed == _EOF:
                self.console.print()
                raise EndOfInput
            if pressed in _IGNORED:
                continue
            self.console.print(pressed, markup=False, highlight=False)  # what was chosen
            return pressed.lower()

    def line(self, prompt: str) -> str:
        """A whole line (answers to questions, yes/no)."""
        try:
            return self._read_line(prompt)
        except EOFError:
            raise EndOfInput from None


def _is_terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _read_key() -> str:
    """One key press; the rest of an escape sequence (an arrow key) is dropped."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        data = os.read(fd, 1)
        if data == b"\x1b":
            while select.select([fd], [], [], 0.05)[0]:
                os.read(fd, 16)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    if not data:
        return _EOF
    return data.decode("utf-8", errors="replace")
