"""Text from commands made safe to show: escape sequences and control characters out.

A command's output (or a lesson's text) may carry terminal escape sequences:
in a terminal they move the cursor, clear the screen, set the window title,
write the clipboard (OSC 52) or hide a link's target (OSC 8); in Slack they
are noise ("[2J"). Both front ends show text through :func:`plain`, so a fix
here protects both.
"""

from __future__ import annotations

import re

CONTROLS = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: cursor movement, erase, scroll, colours
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC: title, OSC 8 links, OSC 52 clipboard
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # other escapes, a lone ESC, an unterminated string's start
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c)"  # 8-bit OSC, DCS, …
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # every other control character but tab and newline
)


def plain(text: str) -> str:
    """``text`` without escape sequences or control characters (tabs and newlines stay)."""
    return CONTROLS.sub("", text)


def final_state(line: str) -> str:
    """What a line shows after its carriage returns (a progress meter's last state);
    a CRLF line ending is not a redraw."""
    return line.rstrip("\r").rsplit("\r", 1)[-1]
