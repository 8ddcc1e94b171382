"""Hostile input: fake secrets, terminal escapes, floods, and requests to the bot over HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

PEM_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"


PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    + f"{PEM_BODY}\n" * 6
    + "-----END OPENSSH PRIVATE KEY-----\n"
)


XOXB = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"


XAPP = "xapp-1-A0123456789-1234567890123-" + "abcdef0123456789" * 4


AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


# A password with the characters mrkdwn escapes: escaping before redacting leaked its tail.
PASSWORD = "sw0rd<fish&chips>"


SECRETS = [PEM_BODY, XOXB[5:], XAPP[5:], AWS_KEY_ID, AWS_SECRET, "fish", "chips"]


ANSI = [
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x1b[3A\x1b[10D",  # cursor up 3, left 10
    "\x1b]8;;https://osc8-link.example/\x1b\\click here\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1b]0;owned window title\x07",  # OSC 0: window title
    "\x1b]52;c;ZWNobyBwd25lZA==\x07",  # OSC 52: write the clipboard
    "\x1bP+q544e\x1b\\",  # DCS: terminal query
    "\x9b2J",  # 8-bit CSI
    "\x1b[31mred\x1b[0m",
    "\x1bc",  # full reset
    "bell\x07 backspace\x08 ",
]


MRKDWN = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<#C123ABC|general>",
    "<!subteam^S123>",
    "<https://evil.example|the docs>",
    "*bold* _italic_ ~strike~ `tick` ```fence```",
    "&amp; &lt;",
    ":100: :skull:",
]


def hostile_output() -> str:
    """What a step's command prints: secrets first (the evidence excerpt shows the
    first 400 characters), then escapes and mrkdwn, then many lines."""
    lines = [
        f"DB_PASSWORD={PASSWORD}",
        "ping <!channel> <@U123ABC> *bold* `tick`",
        f"SLACK_BOT_TOKEN={XOXB}",
        f"app token {XAPP}",
        f"aws_access_key_id = {AWS_KEY_ID}",
        f"aws_secret_access_key = {AWS_SECRET}",
        *ANSI,
        *MRKDWN,
        PEM.rstrip("\n"),
        *(f"line {n}" for n in range(1, 301)),
        "the last line",
    ]
    return "\n".join(lines) + "\n"


def write_flood(path: Path, *, megabytes: int = 10, one_line: bool = False) -> Path:
    """``megabytes`` of output: short lines, or one endless line."""
    size = megabytes * 1_000_000
    if one_line:
        path.write_text("x" * size + "\nthe last line\n")
    else:
        line = "0123456789 flood line of forty-nine characters..\n"
        path.write_text(line * (size // len(line)) + "the last line\n")
    return path


CLOSED = 0  # the server answered and closed before it had read the whole body


def post(url: str, body: str | bytes, headers: dict[str, str]) -> int:
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except urllib.error.URLError as exc:
        # bot/http.py refuses a body over its limit (413) without reading it, so the
        # client may still be writing when the socket closes: EPIPE or a reset.
        if isinstance(exc.reason, BrokenPipeError | ConnectionResetError):
            return CLOSED
        raise
