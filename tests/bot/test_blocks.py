"""Block Kit rendering and the output bounds: redaction, cutting, Slack's limits."""

from __future__ import annotations

import pytest

from hostnet.bot import blocks as ui
from hostnet.bot import messages
from hostnet.bot.redact import clip, redact
from hostnet.bot.verbs import parse as parse_command
from hostnet.engine.checks import CheckResult


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("SLACK_BOT_TOKEN=xoxb-123456789012-abcdefABCDEF", "SLACK_BOT_TOKEN=[redacted]"),
        ("token xoxp-1234-5678-abcdefgh here", "token xox…[redacted] here"),
        ("app xapp-1-A0123-456-abcdef", "app xapp-…[redacted]"),
        ("password=hunter2 user=bob", "password=[redacted] user=bob"),
        ('{"db_password": "s3cr3t!", "port": 5432}', '{"db_password": "[redacted]", "port": 5432}'),
        ("MYSQL_ROOT_PASSWORD: swordfish", "MYSQL_ROOT_PASSWORD: [redacted]"),
        ("Authorization: Bearer abc.def.ghijklmnop", "Authorization: Bearer [redacted]"),
        (
            "git clone https://bob:pa55word@git.example/x",
            "git clone https://bob:[redacted]@git.example/x",
        ),
        ("AWS key AKIAIOSFODNN7EXAMPLE", "AWS key [redacted]"),
        ("ghp_" + "a" * 36, "[redacted]"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----\nafter",
            "-----BEGIN RSA PRIVATE KEY----- [redacted] -----END RSA PRIVATE KEY-----\nafter",
        ),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn (cut off", "[redacted]"),
        # What lessons print stays as it is.
        ("tcp 0 0 0.0.0.0:80 0.0.0.0:* LISTEN 25039/nginx: master", None),
        ("d46573d5d733616b18fc033763f181f089b118136d5583a91ddb0e6ada22e713", None),
        ("<title>Welcome to nginx!</title>", None),
    ],
)
def test_redact(text: str, kept: str | None) -> None:
    assert (kept or text) in redact(text)
    if kept and "[redacted]" in kept:
        assert text != redact(text)


def test_clip_counts_what_it_cut() -> None:
    text = "\n".join(f"line {n}" for n in range(1, 101))
    out = clip(text, max_lines=10)
    assert out.splitlines()[:10] == [f"line {n}" for n in range(1, 11)]
    assert out.splitlines()[-1] == "… 90 more lines"
    wide = clip("x" * 10_000 + "\nsecond", max_chars=100)
    assert len(wide) < 130 and wide.endswith("… 1 more line")
    assert clip("Pulling 10%\rPulling 50%\rDone\nok") == "Done\nok"  # terminal redraws


def test_checks_show_evidence_and_hint_only_on_failure() -> None:
    ok = CheckResult("port", "TCP port 80 is free", True, "free", "free", hint="h")
    bad = CheckResult("port", "TCP port 80 is free", False, "free", "nginx <pid 7>", hint="stop it")
    assert messages.check_text(ok) == "✓ TCP port 80 is free"
    assert messages.check_text(bad) == (
        "✗ TCP port 80 is free\n>*expected:* free\n>*observed:* nginx &lt;pid 7&gt;\n>*hint:* stop it"
    )


def test_limits() -> None:
    assert len(ui.section("x" * 5000)["text"]["text"]) == ui.SECTION_MAX
    assert len(ui.button("y" * 100, "a", "v")["text"]["text"]) == ui.BUTTON_MAX
    many = ui.bounded([ui.section(str(n)) for n in range(80)])
    assert len(many) == ui.BLOCKS_MAX and "31 more" in str(many[-1])
    assert ui.duration(59) == "59 s" and ui.duration(252) == "4 min 12 s"
    assert ui.duration(3 * 3600 + 120) == "3 h 2 min"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("", ("help", "")),
        ("start 1", ("start", "1")),
        ("START lesson 2", ("start", "2")),
        ("  labs ", ("labs", "")),
        ("start 1; rm -rf /", ("start", "1; rm -rf /")),  # looked up as a lesson name, never run
    ],
)
def test_parse_command(text: str, parsed: tuple[str, str]) -> None:
    assert parse_command(text) == parsed
