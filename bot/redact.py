"""Keep secrets and floods out of Slack: redaction and size bounds for posted text.

Everything the bot posts passes through :func:`redact` (see ``slack.py``), so
a lab whose environment or files leak a token into a command's output does
not leak it into a channel.
"""

from __future__ import annotations

import re

from hostnet.engine.text import final_state, plain

REDACTED = "[redacted]"

# Each pattern with its clues: lowercase strings one of which an ASCII text must hold
# for the pattern to match it (most texts hold none, and a substring test is cheap).
_PATTERNS: list[tuple[tuple[str, ...], re.Pattern[str], str]] = [
    # PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, …), also when cut off.
    (
        ("private key",),
        re.compile(
            r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
            re.S,
        ),
        "-----BEGIN \\1PRIVATE KEY----- " + REDACTED + " -----END \\1PRIVATE KEY-----",
    ),
    # Slack tokens and signing-style secrets.
    (("xox",), re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]{6,}"), "xox…" + REDACTED),
    (("xapp-",), re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"), "xapp-…" + REDACTED),
    (
        ("hooks.slack.com",),
        re.compile(r"https://hooks\.slack\.com/\S+"),
        "https://hooks.slack.com/…" + REDACTED,
    ),
    # GitHub, GitLab, AWS, Google API keys.
    (("gh", "github_pat_"), re.compile(r"\b(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,}"), REDACTED),
    (("glpat-",), re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), REDACTED),
    (("akia", "asia"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), REDACTED),
    (("aiza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), REDACTED),
    # Authorization headers.
    (
        ("bearer", "basic"),
        re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
        "\\1\\2" + REDACTED,
    ),
    # Credentials in URLs: scheme://user:password@host
    (
        ("://",),
        re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"),
        "\\1" + REDACTED + "@",
    ),
    # key=value, key: value, "key": "value" where the key names a secret.
    (
        ("pass", "secret", "token", "key", "credential"),
        re.compile(
            r"(?i)\b([a-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key"
            r"|access[_-]?key|private[_-]?key|credentials?)[a-z0-9_]*)"
            r"([\"']?[ \t]*[=:][ \t]*)([\"']?)(?!\[redacted\])[^\s\"',;]+"
        ),
        "\\1\\2\\3" + REDACTED,
    ),
]


# The characters other than ASCII that Python's re.IGNORECASE matches to an ASCII letter
# (dotted and dotless I to i, long s to s, the Kelvin sign to k; tests/bot/test_redact.py
# finds them all).
FOLD = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}


def redact(text: str) -> str:
    """``text`` with secrets that match common patterns replaced by ``[redacted]``.

    A pattern runs only on a text that holds one of its clues (in lowercase, with
    :data:`FOLD` applied, as a ``(?i)`` pattern would see it)."""
    folded = (text if text.isascii() else text.translate(FOLD)).lower()
    for clues, pattern, replacement in _PATTERNS:
        if any(clue in folded for clue in clues):
            text = pattern.sub(replacement, text)
    return text


def clip(text: str, *, max_lines: int = 40, max_chars: int = 2800) -> str:
    """At most ``max_lines`` lines and ``max_chars`` characters, the cut said in the text.

    Terminal redraws (``\\r``) keep only their final state, as a terminal shows them
    (a CRLF line end is not a redraw); escape sequences and control characters go.
    Only the lines kept are looked at, so 10 MB of output costs a count of its lines.
    """
    text = text.rstrip("\n")
    kept: list[str] = []
    size = 0
    start = 0  # of the first line not kept
    while start <= len(text) and len(kept) < max_lines:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = text[start:end]
        if len(line) > 4 * max_chars:  # (only its first characters can be shown)
            line = line[: 4 * max_chars]
        line = plain(final_state(line))
        if len(line) > max_chars:
            line = line[: max_chars - 1] + "…"
        if size + len(line) + 1 > max_chars and kept:
            break
        kept.append(line)
        size += len(line) + 1
        start = end + 1
    rest = text.count("\n", start) + 1 if start <= len(text) else 0
    if rest:
        kept.append(f"… {rest} more line{'s' if rest != 1 else ''}")
    return "\n".join(kept)
