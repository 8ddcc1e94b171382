"""Golden files for the renderers: `pytest --update-golden` rewrites them.

The events are built by hand (no engine run), so nothing needs scrubbing:
durations and ids are fixed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from hostnet.engine import events as ev
from hostnet.engine.checks import CheckResult
from hostnet.engine.commands import CommandResult
from hostnet.plugin.render import JsonRenderer, TerminalRenderer

GOLDEN = Path(__file__).parent / "golden"
RUN = "docker run --rm -d --network host --name my_nginx nginx"


def passing_step() -> list[ev.Event]:
    cid = "0" * 64 + "\n"
    return [
        ev.StepStarted("host-network", "run", 1, 2, "Start nginx", RUN, "Start it on the host network."),
        ev.Output("run", "stdout", cid[:20]),
        ev.Output("run", "stdout", cid[20:]),
        ev.CommandFinished("run", CommandResult(RUN, 0, cid, "", 0.25)),
        ev.CheckEvaluated("run", CheckResult("container", "container my_nginx is running", True, "running", "running")),
        ev.StepFinished("run", 1, True),
    ]  # fmt: skip


def failing_step() -> list[ev.Event]:
    meter = "  % Total\r 50  100\r100  100\n"
    return [
        ev.StepStarted("host-network", "curl", 2, 2, "Reach nginx", "curl http://localhost:80/", "Ask for the page."),
        ev.Output("curl", "stderr", meter),
        ev.Output("curl", "stdout", "no final newline"),
        ev.CommandFinished("curl", CommandResult("curl http://localhost:80/", 7, "", meter, 0.1)),
        ev.CheckEvaluated("curl", CheckResult("timeout", "the command finishes within 60 s", False, "finishes within 60 s", "still running after 60 s: killed", "the command hung")),
        ev.CheckEvaluated("curl", CheckResult("output", "the command's stdout contains 'Welcome to nginx!'", False, "exit 0, output contains 'Welcome to nginx!'", "exit 7: (no output)\\nsecond line", "Is the container running?")),
        ev.CheckEvaluated("curl", CheckResult("port", "TCP port 80 is listening, owned by nginx", True, "listening", "0.0.0.0:80 by owner hidden (needs root)", note="run as root to see the owner")),
        ev.StepFinished("curl", 2, False, ("Type the command exactly.", "Is curl installed?")),
    ]  # fmt: skip


CASES = {
    "passed": [
        ev.LessonStarted("host-network", 1, "Networking using the host network", "local", 2),
        *passing_step(),
        ev.CleanupFinished((CommandResult("docker rm -f my_nginx", 0, "", "", 0.01),)),
        ev.LessonFinished("host-network", True, 2, 2, 1.23),
    ],
    "failed": [
        ev.LessonStarted("host-network", 1, "Networking using the host network", "lab-01", 2),
        *passing_step(),
        *failing_step(),
        ev.CleanupFinished((CommandResult("docker rm -f my_nginx", 1, "", "boom", 0.01),)),
        ev.LessonFinished("host-network", False, 1, 2, 2.5),
    ],
    "interrupted": [
        ev.LessonStarted("host-network", 1, "Networking using the host network", "local", 2),
        *passing_step(),
        ev.CleanupFinished(()),
        ev.LessonFinished("host-network", False, 1, 2, 0.5, interrupted=True),
    ],
    "quiz": [
        ev.QuizAnswered("host-network", 1, "Which IP?", 2, True, 2, "None of its own."),
        ev.QuizAnswered("host-network", 2, "Which port?", 1, False, 3, "-p is discarded."),
    ],
}


def render_terminal(events: list[ev.Event], width: int = 100) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False)
    renderer = TerminalRenderer(console, show_explanations=True)
    for event in events:
        renderer(event)
    return buffer.getvalue()


def render_json(events: list[ev.Event]) -> str:
    buffer = io.StringIO()
    renderer = JsonRenderer(buffer)
    for event in events:
        renderer(event)
    return buffer.getvalue()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("kind", ["terminal", "json"])
def test_golden(case: str, kind: str, request: pytest.FixtureRequest) -> None:
    rendered = (render_terminal if kind == "terminal" else render_json)(CASES[case])
    path = GOLDEN / f"{case}.{'txt' if kind == 'terminal' else 'jsonl'}"
    if request.config.getoption("--update-golden"):
        path.write_text(rendered)
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    assert rendered == path.read_text(), (
        f"{path} differs: run pytest --update-golden and review the diff"
    )


LONG = (
    "With --network host the container shares the host's network namespace: it has no "
    "address of its own, and nginx binds port 80 of the host itself, so nothing is isolated."
)
PROSE_STEP = [
    ev.StepStarted("host-network", "run", 1, 1, "Start nginx on the host network and look", RUN, LONG),
    ev.Output("run", "stdout", "x" * 150 + "\n"),
    ev.CheckEvaluated("run", CheckResult("container", "container my_nginx is running on the host network with no IP address of its own", False, "running, network mode host, no IP address", LONG, LONG)),
    ev.StepFinished("run", 1, False, (LONG,)),
]  # fmt: skip


@pytest.mark.parametrize("width", [60, 80, 120])
def test_prose_is_wrapped_at_words_with_a_hanging_indent(
    width: int, request: pytest.FixtureRequest
) -> None:
    rendered = render_terminal(PROSE_STEP, width)
    path = GOLDEN / f"wrapped-{width}.txt"
    if request.config.getoption("--update-golden"):
        path.write_text(rendered)
    assert rendered == path.read_text(), f"{path} differs: run pytest --update-golden"
    lines = rendered.splitlines()
    output = [line for line in lines if line.startswith("  │ ") or line.startswith("  $ ")]
    assert output == [f"  $ {RUN}", "  │ " + "x" * 150]  # command output keeps its lines
    for line in lines:
        assert line in output or len(line) <= width, f"{line!r} is wider than {width}"
    words = set(LONG.split())
    shown = {word for line in lines for word in line.split()}
    assert words <= shown, f"words cut in half: {sorted(words - shown)}"
    # Continuation lines start under the text they continue (a hanging indent).
    first = next(i for i, line in enumerate(lines) if line.startswith("      observed "))
    assert lines[first + 1].startswith(" " * 15) and lines[first + 1][15] != " "
