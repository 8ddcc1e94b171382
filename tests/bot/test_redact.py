"""Redaction skips the patterns whose clues a text lacks, and redacts exactly what
running every pattern would (tests/bot/test_blocks.py has what it redacts)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from hostnet.bot import redact as module
from hostnet.bot.redact import FOLD, redact


def every_pattern(text: str) -> str:
    for _, pattern, replacement in module._PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def test_fold_holds_every_other_character_ignorecase_matches_to_an_ascii_letter() -> None:
    letter = re.compile("(?i)[a-z]")
    found = {
        c: next(a for a in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch("(?i)" + a, chr(c)))
        for c in range(128, 0x110000)
        if letter.fullmatch(chr(c))
    }
    assert found == FOLD


def test_each_clue_is_in_its_pattern() -> None:
    """A clue is a piece of what the pattern matches, in lowercase: a text that
    matches holds it (the property test below tries many)."""
    for clues, pattern, _ in module._PATTERNS:
        source = pattern.pattern.lower().replace("\\", "")
        assert clues and all(clue.replace("\\", "") in source for clue in clues), pattern


SECRETS = [
    "xoxb-1234567890-abcdef",
    "xapp-1-A0123-4567",
    "https://hooks.slack.com/services/T0/B0/abc",
    "ghp_" + "a" * 36,
    "github_pat_" + "b" * 30,
    "glpat-" + "c" * 20,
    "AKIA" + "ABCDEFGHIJKLMNOP",
    "AIza" + "d" * 35,
    "Bearer abcdefgh123",
    "BASIC dXNlcjpwYXNz",
    "postgres://user:hunter2@db",
    "PASSWORD=hunter2",
    'api_key: "s3cr3t"',
    "Access-Key = xyz123",
    "pa\u017f\u017fword=x1",  # under (?i), long s is s
    "credent\u0131als: y2",  # dotless i is i
    "private_\u212aEY=z3",  # the Kelvin sign is k
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl",
]
PIECES = st.one_of(
    st.sampled_from(SECRETS),
    st.sampled_from(
        ["pass", "KEY", "://", "gh", "=", ": ", " ", "\n", "✓", "…", "\u0130", "[redacted]"]
    ),
    st.text(max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=8))
def test_redacts_exactly_what_every_pattern_would(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert redact(text) == every_pattern(text)


def test_the_hard_cases_are_redacted() -> None:
    for secret in SECRETS:
        assert redact(secret) != secret, secret
        assert redact(f"✓ passed\n{secret}\n") == every_pattern(f"✓ passed\n{secret}\n")
