"""A ``map: true`` step: the session reads the map after the step's checks and
emits it as one event; a map that cannot be read is told, and the step stands.
(No Docker: the engine is pointed somewhere it is not.)"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hostnet.engine import events as ev
from hostnet.engine.loader import load_lesson
from hostnet.engine.session import LessonSession
from hostnet.engine.targets import LocalTarget
from hostnet.plugin.render import JsonRenderer

LESSON = """\
format_version: 1
id: mapped
number: 61
title: Mapped
summary: A step that shows the map.
steps:
  - id: first
    title: Say it
    explanation: Print a word.
    command: echo hello
    map: true
    checks:
      - {kind: output, contains: hello}
      - {kind: command, run: "true"}
  - id: second
    title: Say it again
    explanation: Print it again.
    command: echo again
    checks:
      - {kind: output, contains: again}
      - {kind: command, run: "true"}
"""


@pytest.fixture
def session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[LessonSession, list[ev.Event]]:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    path = tmp_path / "61-mapped.yaml"
    path.write_text(LESSON)
    seen: list[ev.Event] = []
    return LessonSession(load_lesson(path), LocalTarget(), emit=seen.append), seen


def test_the_map_follows_the_checks_of_a_map_step_only(session) -> None:  # type: ignore[no-untyped-def]
    s, seen = session
    with s.attempt():
        assert s.run_step(0).passed
        assert s.run_step(1).passed
    names = [e.name() for e in seen]
    assert names.count("network_mapped") == 1
    mapped = names.index("network_mapped")
    assert names[mapped - 1] == "step_finished" and names[mapped + 1] == "step_started"
    event = seen[mapped]
    assert isinstance(event, ev.NetworkMapped) and (event.step, event.index) == ("first", 1)
    assert event.map is None and event.problem is not None
    assert event.problem.startswith("cannot reach the Docker engine at unix:///nonexistent")
    out = io.StringIO()
    JsonRenderer(out)(event)  # --json: one more event line
    assert json.loads(out.getvalue())["event"] == "network_mapped"


def test_a_replayed_step_reads_no_map(session) -> None:  # type: ignore[no-untyped-def]
    s, seen = session
    with s.attempt():
        assert s.replay(1) == 1
    assert "network_mapped" not in [e.name() for e in seen]
