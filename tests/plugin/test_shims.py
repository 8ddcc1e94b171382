"""The short cuts in Typer's start-up (plugin/shims.py) answer exactly as Typer does.

Shell completion's help texts: Typer renders each with Rich to remove markup;
the short cut gives back, without Rich, the texts Rich gives back unchanged.
Compared here byte for byte with Typer's own function, in-process for many texts
and widths, and end to end for the completion scripts of several cursor positions,
shells and terminals.
"""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
import typer._completion_classes as completion
from typer import rich_utils

import hostnet.plugin.app  # noqa: F401  (installs the short cuts)
from hostnet.plugin import shims

TEXTS = [
    "Show this message and exit.",
    "Run on a lab over SSH\\\\: ssh\\\\://user@host\\\\:port (key pinned).",
    "Run on a lab over SSH: ssh://user@host:port (key pinned).",
    "Set a lesson variable, e.g. --var image=hostnet/nginx-standin (repeatable).",
    "A :smile: and :thumbs_up: and :no_such_emoji:",
    "ends with :smile:",
    "a :red_heart-emoji: variant",
    "[bold]markup[/bold] and \\[escaped]",
    "a ] alone",
    "tab\there",
    "line one\nline two",
    "bell \x07 and carriage \r return",
    "wide 日本語 text",
    "café au lait",
    "trailing spaces   ",
    "   leading spaces",
    "x" * 79,
    "x" * 80,
    "x" * 81,
    "a long help text that goes on and on past the width of a narrow terminal " * 2,
    "",
]
WIDTHS = [None, "0", "1", "20", "45", "80", "200"]


@pytest.fixture
def no_width_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("COLUMNS", "LINES", "TERM", "TERMINAL_WIDTH", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_help_texts_are_what_rich_gives(no_width_env: pytest.MonkeyPatch) -> None:
    sanitize = completion._sanitize_help_text
    assert getattr(sanitize, "plain_first", False), "the short cut is installed"
    taken = 0
    for extra in ({}, {"TERM": "dumb"}, {"LINES": "10"}):
        for columns in WIDTHS:
            for name, value in {**extra, "COLUMNS": columns}.items():
                if value is None:
                    no_width_env.delenv(name, raising=False)
                else:
                    no_width_env.setenv(name, value)
            for text in TEXTS:
                expected = rich_utils.rich_render_text(text)
                assert sanitize(text) == expected, (extra, columns, text)
                if shims.unchanged_by_rich(text):
                    taken += 1
                    assert expected == text, (extra, columns, text)
            for name in extra:
                no_width_env.delenv(name)
    assert taken > 50  # the short cut answers most of them


def test_plain_help_takes_the_short_cut(no_width_env: pytest.MonkeyPatch) -> None:
    no_width_env.setenv("COLUMNS", "80")
    assert shims.unchanged_by_rich(TEXTS[0]) and shims.unchanged_by_rich(TEXTS[1])
    assert not shims.unchanged_by_rich("[bold]x[/bold]")
    assert not shims.unchanged_by_rich("a :smile:")
    assert not shims.unchanged_by_rich("x" * 81)
    no_width_env.setenv("TERMINAL_WIDTH", "100")  # Typer's own width: left to Typer
    assert not shims.unchanged_by_rich(TEXTS[0])


def _completions(
    lines: list[str], shell: str, env: dict[str, str], *, typer_own: bool, columns: int | None
) -> list[str]:
    """The completion script for each of ``lines`` (one process), with the short cut or
    with Typer's own help-text function; with ``columns``, standard input is a terminal
    that wide."""
    code = (
        "import os, sys\n"
        "import typer._completion_classes as c\n"
        "import hostnet.plugin.app\n"
        f"if {typer_own!r}:\n    c._sanitize_help_text = c._sanitize_help_text.original\n"
        "from hostnet.plugin.main import main\n"
        f"for line in {lines!r}:\n"
        "    os.environ['_TYPER_COMPLETE_ARGS'] = line\n"
        "    os.environ['_TYPER_COMPLETE_WORD_TO_COMPLETE'] = line.split(' ')[-1]\n"
        "    try:\n        main(['hostnet'])\n    except SystemExit:\n        pass\n"
        "    sys.stdout.write('\\0')\n"
        "    sys.stdout.flush()\n"
    )
    env = {**env, "_HOSTNET_COMPLETE": f"complete_{shell}",
           "_TYPER_COMPLETE_FISH_ACTION": "get-args"}  # fmt: skip
    stdin: int = subprocess.DEVNULL
    opened: list[int] = []
    if columns is not None:
        opened = list(pty.openpty())
        fcntl.ioctl(opened[1], termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        stdin = opened[1]
    try:
        res = subprocess.run([sys.executable, "-c", code], env=env, stdin=stdin,
                             capture_output=True, text=True, check=True)  # fmt: skip
    finally:
        for fd in opened:
            os.close(fd)
    return res.stdout.split("\0")[:-1]


@pytest.mark.parametrize("shell", ["zsh", "fish", "powershell"])
def test_completion_prints_what_typer_prints(shell: str, tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items()
            if k not in ("COLUMNS", "LINES", "TERM", "TERMINAL_WIDTH")}  # fmt: skip
    base["HOSTNET_PROGRESS_DB"] = str(tmp_path / "p.sqlite")
    lines = ["hostnet lesson --", "hostnet lesson 1 --v", "hostnet map --", "hostnet ",
             "hostnet lab ", "hostnet lab up --", "hostnet check 1 --", "hostnet --"]  # fmt: skip
    # no terminal (80), COLUMNS, terminals narrower and wider than the help, a dumb one
    cases = [({}, None), ({"COLUMNS": "30"}, None), ({}, 40), ({}, 200), ({"TERM": "dumb"}, 30)]
    if shell != "zsh":  # the same function; fewer runs
        cases = cases[:3]
    for extra, columns in cases:
        env = {**base, **extra}
        ours = _completions(lines, shell, env, typer_own=False, columns=columns)
        typers = _completions(lines, shell, env, typer_own=True, columns=columns)
        assert len(ours) == len(lines) and all(x.strip() for x in ours), (extra, ours)
        for line, mine, theirs in zip(lines, ours, typers, strict=True):
            assert mine == theirs, (line, extra, columns)
