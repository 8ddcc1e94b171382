"""The one escape-sequence filter both front ends show text through."""

from __future__ import annotations

import pytest

from hostnet.bot import redact
from hostnet.engine.text import final_state, plain
from hostnet.plugin import render


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m", "red"),  # CSI colours
        ("\x1b[2J\x1b[Hcleared", "cleared"),  # erase, cursor home
        ("\x1b]0;evil title\x07text", "text"),  # OSC window title (BEL)
        ("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 link
        ("\x1b]52;c;ZXZpbA==\x07x", "x"),  # OSC 52: write the clipboard
        ("\x1bP1$r0m\x1b\\after", "after"),  # DCS string
        ("\x9b31mC1 CSI", "C1 CSI"),  # 8-bit CSI
        ("a\x1b", "a"),  # a lone ESC at the end
        ("bell\x07 back\x08 nul\x00 del\x7f", "bell back nul del"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),  # kept
        ("dans la tête ✓", "dans la tête ✓"),  # text is text
    ],
)
def test_plain(raw: str, shown: str) -> None:
    assert plain(raw) == shown


def test_final_state_of_a_redrawn_line() -> None:
    assert final_state(" 10%\r 50%\r100% done") == "100% done"
    assert final_state("windows line\r") == "windows line"  # CRLF: not a redraw


def test_both_front_ends_use_it() -> None:
    """One copy: a fix to the filter reaches the terminal and Slack alike."""
    assert render.plain is plain
    assert redact.plain is plain and redact.final_state is final_state
    assert redact.clip("\x1b]0;t\x07ok\x1b[2K\rfine") == "fine"
