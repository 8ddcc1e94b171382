"""Hostile command output, rendered by both front ends.

A step's command prints ANSI escapes (clear screen, cursor moves, OSC 8 links,
window titles, clipboard writes), Slack mrkdwn (``<!channel>``, ``<@U123>``,
``*bold*``, backticks), rich emoji codes, a PEM private key, Slack and AWS
credentials, and floods of 10 MB. The terminal shows it without letting it act
on the terminal and cuts floods to head and tail; the bot redacts it, pings no
one and stays within Slack's limits. Both stay quick, and the memory the
engine holds for 10 MB of output is measured (about twice the output: its
chunks and their join).
"""

from __future__ import annotations

import io
import json
import re
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from hostnet.bot import blocks as ui
from hostnet.bot import messages
from hostnet.bot.redact import clip, redact
from hostnet.bot.testing.harness import BotHarness
from hostnet.bot.testing.requests import ALICE
from hostnet.engine import events as ev
from hostnet.engine.commands import CommandResult
from hostnet.engine.loader import load_lesson
from hostnet.engine.session import LessonSession
from hostnet.engine.targets import LocalTarget
from hostnet.plugin.render import HEAD_LINES, LINE_CHARS, TAIL_LINES, TerminalRenderer
from tests.support.cli import hostnet
from tests.support.hostile import (
    ANSI,
    MRKDWN,
    PASSWORD,
    PEM_BODY,
    SECRETS,
    hostile_output,
    write_flood,
)

# What must never reach a terminal from command output: ESC, 8-bit CSI/OSC/DCS, BEL, BS.
TERMINAL_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours (when it writes to a terminal)


def _lines(text: str) -> int:
    return len(text.rstrip("\n").split("\n"))


# ---------------------------------------------------------------------- the terminal


@pytest.fixture
def hostile_file(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.txt"
    path.write_text(hostile_output())
    return path


def test_cli_renders_hostile_output_inert(echo_lessons, hostnet_bin, hostile_file) -> None:
    echo_lessons(first=f"cat {hostile_file}")
    res = hostnet(hostnet_bin, "lesson", "1", "--auto")
    assert res.returncode == 1, res.stderr  # the output lacks "first": step 1 fails
    shown = res.stdout + res.stderr
    assert "Traceback" not in shown
    assert not TERMINAL_CONTROLS.search(shown), repr(TERMINAL_CONTROLS.findall(shown)[:5])
    # What the sequences wrapped stays readable; what they carried does not.
    assert "click here" in shown and "│ red" in shown
    assert "osc8-link.example" not in shown and "owned window title" not in shown
    assert "ZWNobyBwd25lZA==" not in shown  # the clipboard payload
    for text in MRKDWN:  # literal in a terminal, rich markup and emoji codes included
        assert text in shown, text
    assert "💯" not in shown
    # Head and tail: the first lines as they came, "… N more lines", the last lines.
    total = _lines(hostile_output())
    assert f"│ … {total - HEAD_LINES - TAIL_LINES} more lines" in shown
    assert "│ the last line" in shown and "│ line 300" in shown
    assert f"│ line {300 - TAIL_LINES}\n" not in shown
    # The check's evidence is cleaned too.
    assert "observed exit 0: DB_PASSWORD=" in shown


def test_terminal_keeps_its_own_colours_only() -> None:
    """On a real terminal rich adds colours (SGR); nothing else may reach it."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=100)
    renderer = TerminalRenderer(console, show_explanations=True)
    evil = "".join(ANSI) + "".join(MRKDWN)
    for event in [
        ev.LessonStarted("x", 1, "Title \x1b]0;t\x07[red]x[/]", "lab\x1b[2J", 1),
        ev.StepStarted("x", "s", 1, 1, "Step \x1b[2J", "echo \x1b[1A", "Why \x1b[H"),
        ev.Output("s", "stdout", evil + "\nprogress 10%\rprogress 100%\r\n"),
        ev.Output("s", "stderr", "no newline \x1b]8;;http://x\x1b\\link"),
        ev.CommandFinished("s", CommandResult("echo", 0, evil, "", 0.1)),
        ev.CheckEvaluated("s", _check(evil)),
        ev.StepFinished("s", 1, False, ("hint \x1b[2J", "[bold]markup[/]")),
        ev.CleanupFinished((CommandResult("rm \x1b[2J", 1, "", "", 0.1),)),
        ev.LessonFinished("x", False, 0, 1, 1.0),
    ]:
        renderer(event)
    out = buffer.getvalue()
    assert "\x1b" in out  # rich's colours are there…
    assert not TERMINAL_CONTROLS.search(SGR.sub("", out))  # …and nothing else is
    plain = SGR.sub("", out)
    assert "│ progress 100%\n" in plain  # a redraw keeps its final state; CRLF is no redraw
    assert "│ no newline link\n" in plain
    assert "[bold]markup[/]" in plain and ":100: :skull:" in plain


def _check(evidence: str) -> Any:
    from hostnet.engine.checks import CheckResult

    return CheckResult("output", "the output \x1b[2J", False, evidence, evidence, "hint\x1b[H")


def test_crlf_lines_are_not_redraws() -> None:
    """`curl -i` prints headers ending in CRLF: they used to render as empty lines."""
    buffer = io.StringIO()
    renderer = TerminalRenderer(Console(file=buffer, width=100))
    renderer(ev.Output("s", "stdout", "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\nbody\n"))
    renderer(ev.CommandFinished("s", CommandResult("curl -i", 0, "", "", 0.1)))
    assert buffer.getvalue().splitlines() == [
        "  │ HTTP/1.1 200 OK",
        "  │ Server: nginx",
        "  │ ",
        "  │ body",
    ]
    assert clip("HTTP/1.1 200 OK\r\nServer: nginx\r\n") == "HTTP/1.1 200 OK\nServer: nginx"


@pytest.mark.parametrize("shape", ["lines", "one line"])
def test_cli_bounds_10_mb_of_output(
    echo_lessons, hostnet_bin, tmp_path: Path, shape: str, capsys
) -> None:
    flood = write_flood(tmp_path / "flood.txt", one_line=shape == "one line")
    echo_lessons(first=f"cat {flood}")
    started = time.monotonic()
    res = hostnet(hostnet_bin, "lesson", "1", "--auto")
    took = time.monotonic() - started
    echo_lessons(first="echo first")
    started = time.monotonic()
    baseline = hostnet(hostnet_bin, "lesson", "1", "--auto")
    base = time.monotonic() - started
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    assert res.returncode == 1 and "Traceback" not in res.stderr
    out = res.stdout
    assert "│ the last line" in out
    assert len(out) < 20 * LINE_CHARS + 10_000, f"{len(out)} characters on the terminal"
    if shape == "lines":
        total = _lines(flood.read_text())
        assert f"│ … {total - HEAD_LINES - TAIL_LINES} more lines" in out
        assert out.count("\n") < HEAD_LINES + TAIL_LINES + 40
    else:
        assert f"… ({10_000_000 - LINE_CHARS} more characters)" in out
    with capsys.disabled():
        print(f"\n[figure] hostnet lesson --auto, 10 MB as {shape}: {took:.2f} s "
              f"(same lesson, one line of output: {base:.2f} s); {len(out)} characters shown")  # fmt: skip
    assert took < base + 20


@pytest.mark.parametrize("shape", ["lines", "one line"])
def test_engine_memory_for_10_mb_of_output(tmp_path: Path, shape: str, capsys) -> None:
    """Measured: the engine keeps a command's output (the output checks need all of it)."""
    from tests.support.lessons import ECHO_LESSON

    flood = write_flood(tmp_path / "flood.txt", one_line=shape == "one line")
    path = tmp_path / "01-echo.yaml"
    path.write_text(ECHO_LESSON.replace("FIRST_COMMAND", f"cat {flood}"))
    lesson = load_lesson(path)
    buffer = io.StringIO()
    tracemalloc.start()
    try:
        started = time.monotonic()
        LessonSession(lesson, LocalTarget(), emit=TerminalRenderer(Console(file=buffer))).run_all()
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with capsys.disabled():
        print(f"\n[figure] engine + terminal renderer, 10 MB as {shape}: peak {peak / 1e6:.1f} MB "
              f"traced, {took:.2f} s (under tracemalloc)")  # fmt: skip
    assert peak < 4 * 10_000_000  # the output, its join, and a little: not a copy per line
    assert len(buffer.getvalue()) < 20 * LINE_CHARS + 10_000


# ---------------------------------------------------------------------- the bot


def _texts(value: Any, kind: str | None = None) -> list[tuple[str, str]]:
    """Every text of a Web API call with what renders it: mrkdwn, plain_text or rich."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        if value.get("type") == "text" and isinstance(value.get("text"), str):
            found.append(("rich", value["text"]))  # a rich_text element: literal text
        elif isinstance(value.get("text"), str):
            found.append((value.get("type", kind or "mrkdwn"), value["text"]))
        for k, v in value.items():
            if k != "text" or not isinstance(v, str):
                found += _texts(v, kind)
    elif isinstance(value, list):
        for v in value:
            found += _texts(v, kind)
    return found


def assert_safe_for_slack(call: Any, allowed_mentions: tuple[str, ...] = ()) -> None:
    args = call.args
    dumped = json.dumps(args)
    for secret in SECRETS:
        assert secret not in dumped, f"{secret!r} reached Slack in {call.method}"
    blocks = args.get("blocks") or []
    assert len(blocks) <= ui.BLOCKS_MAX
    texts = [("mrkdwn", args["text"])] if isinstance(args.get("text"), str) else []
    texts += _texts(blocks)
    for kind, text in texts:
        assert len(text) <= ui.SECTION_MAX, f"{kind} text of {len(text)} characters"
        if kind == "mrkdwn":  # parsed by Slack: no pings, no links, no channel references
            for token in re.findall(r"<[^>]*>", text):
                assert token in allowed_mentions, f"{token!r} in mrkdwn: {text[:200]!r}"
        assert not TERMINAL_CONTROLS.search(text.replace("\t", " ")), repr(text[:200])
    assert sum(len(t) for _, t in texts) < 12_000  # msg_blocks_too_long starts near 13,000


def test_bot_redacts_and_defuses_hostile_output(
    make_bot, echo_lessons, fake_slack, hostile_file
) -> None:
    echo_lessons(first=f"cat {hostile_file}")
    bot: BotHarness = make_bot()
    bot.slash(ALICE, "start 1")
    before = len(fake_slack.calls)
    result = bot.run_step(ALICE)
    assert "✗ *Step 1 failed*" in result.text()
    text = result.text()
    assert "[redacted]" in text and "BEGIN OPENSSH PRIVATE KEY" in text
    assert "DB_PASSWORD=[redacted]" in text  # in the output and in the evidence
    assert "click here" in text and "<!channel>" in text  # literal, in the preformatted output
    assert "&lt;!channel&gt;" in text  # escaped in the check's evidence (mrkdwn)
    for call in fake_slack.calls[before:]:
        assert_safe_for_slack(call)
    assert bot.labs.commands() == [f"cat {hostile_file}", "true"]
    # The lesson goes on: the step is offered again, and the bot still answers.
    assert "hostnet.run" in bot.step_message(ALICE).buttons()
    bot.slash(ALICE, "labs")
    assert "*lab-01*" in fake_slack.replies_to(ALICE)[-1]


@pytest.mark.parametrize("shape", ["lines", "one line"])
def test_bot_bounds_10_mb_of_output(
    make_bot, echo_lessons, fake_slack, tmp_path: Path, shape: str, capsys
) -> None:
    flood = write_flood(tmp_path / "flood.txt", one_line=shape == "one line")
    echo_lessons(first=f"cat {flood}")
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    before = len(fake_slack.calls)
    tracemalloc.start()
    try:
        started = time.monotonic()
        result = bot.run_step(ALICE)
        took = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    for call in fake_slack.calls[before:]:
        assert_safe_for_slack(call)
    output = next(t for k, t in _texts(result.args["blocks"]) if k == "rich")
    assert output.startswith(f"$ cat {flood}\n")
    if shape == "lines":
        assert re.search(r"… \d{6} more lines\n\(exit code 0\)$|… \d{6} more lines$", output)
    else:  # the endless line does not fit beside the command: it is counted, not shown
        assert output.splitlines()[1:3] == ["… 2 more lines", "(exit code 0)"] or output.endswith(
            "… 2 more lines"
        )
    with capsys.disabled():
        print(f"\n[figure] bot: Run on a step printing 10 MB as {shape}: {took:.2f} s "
              f"click to result (under tracemalloc), peak {peak / 1e6:.1f} MB traced; "
              f"{len(output)} characters posted")  # fmt: skip
    assert took < 20
    # The engine's chunks and their join, the transcript's join and "$ command\n" + it.
    assert peak < 6 * 10_000_000


# ---------------------------------------------------------------------- the pieces


@pytest.mark.parametrize("limit", [ui.SECTION_MAX, ui.BUTTON_MAX, 150])
def test_cut_text_stays_within_limits_after_the_second_redaction(limit: int) -> None:
    """slack.py redacts again: a cut marker ("[reda…") must not grow back past the limit."""
    texts = [
        "password=x " * 1000,  # every value grows by 9 characters when redacted
        "x" * (limit - 20) + "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 5000,
        ("token: " + "y" * 3 + "\n") * 800,
        "api_key=" + "k" * 10_000,
    ]
    for text in texts:
        for shift in range(0, 40, 3):
            cut = ui.cut("z" * shift + text, limit)
            assert len(redact(cut)) <= limit and redact(cut) == cut


def test_escaping_comes_after_redaction() -> None:
    """`password=sw0rd<fish…`: escaped first, only `sw0rd&lt` was redacted."""
    assert "fish" not in ui.esc(f"DB_PASSWORD={PASSWORD}")
    result = CommandResult("cat", 0, f"DB_PASSWORD={PASSWORD}\n", "", 0.1)
    text = messages.check_text(_failed(result.stdout))
    assert "fish" not in text and "chips" not in text and "[redacted]" in text


def _failed(observed: str) -> Any:
    from hostnet.engine.checks import CheckResult

    return CheckResult("output", "the output", False, "something", observed)


def test_clip_reads_only_the_lines_it_keeps() -> None:
    text = "short line\n" * 1_000_000  # 11 MB
    started = time.monotonic()
    clipped = clip(text)
    assert time.monotonic() - started < 1.0
    assert clipped.endswith("… 999960 more lines") and clipped.count("\n") == 40
    assert PEM_BODY not in redact(clip("-----BEGIN RSA PRIVATE KEY-----\n" + PEM_BODY * 100))
