"""A lesson session on a real engine: events, progress, timeouts and cleanup that always runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hostnet.engine import events as ev
from hostnet.engine.loader import load_lesson
from hostnet.engine.outcomes import PrerequisiteFailed
from hostnet.engine.progress import ProgressStore
from hostnet.engine.session import LessonSession
from hostnet.engine.targets import LocalTarget

pytestmark = pytest.mark.docker

LESSON = """\
format_version: 1
id: runner-test
number: 50
title: Runner test
summary: Starts a container, then fails or hangs.
variables:
  image: {default: nginx}
  container: {default: my_nginx}
prerequisites:
  - kind: container
    name: "@{container}"
    state: absent
steps:
  - id: start
    title: Start
    explanation: Start it.
    command: docker run -d --network host --name @{container} @{image}
    checks:
      - kind: container
        name: "@{container}"
  - id: second
    title: Second
    explanation: This one goes wrong.
    command: SECOND_COMMAND
    timeout: 1
    hints: [try again]
    checks:
      - kind: output
        contains: never printed
      - kind: container
        name: "@{container}"
cleanup:
  - docker rm -f @{container}
"""


def lesson(tmp_path: Path, image: str, second: str = "echo hello"):  # type: ignore[no-untyped-def]
    path = tmp_path / "50-runner-test.yaml"
    path.write_text(LESSON.replace("SECOND_COMMAND", second))
    return load_lesson(path, {"image": image})


def run(lesson, tmp_path: Path) -> tuple[bool, list[ev.Event], ProgressStore]:  # type: ignore[no-untyped-def]
    seen: list[ev.Event] = []
    store = ProgressStore(tmp_path / "progress.sqlite")
    passed = LessonSession(lesson, LocalTarget(), emit=seen.append, progress=store).run_all()
    return passed, seen, store


def test_a_failed_step_stops_the_lesson_and_cleanup_removes_the_container(
    tmp_path: Path, standin_image: str, clean_host: None, docker_client
) -> None:  # type: ignore[no-untyped-def]
    passed, seen, store = run(lesson(tmp_path, standin_image), tmp_path)
    assert not passed
    assert [type(e).__name__ for e in seen if not isinstance(e, ev.Output)] == [
        "LessonStarted", "PrerequisitesChecked",
        "StepStarted", "CommandFinished", "CheckEvaluated", "StepFinished",
        "StepStarted", "CommandFinished", "CheckEvaluated", "CheckEvaluated", "StepFinished",
        "CleanupFinished", "LessonFinished",
    ]  # fmt: skip
    failed = [e for e in seen if isinstance(e, ev.StepFinished) and not e.passed]
    assert failed == [ev.StepFinished("second", 2, False, ("try again",))]
    assert not docker_client.containers.list(all=True, filters={"name": "^my_nginx$"})
    progress = store.lesson("local", "runner-test")
    assert {k: v.status for k, v in progress.items()} == {"start": "passed", "second": "failed"}


def test_a_hanging_step_is_killed_at_its_timeout_and_cleaned_up(
    tmp_path: Path, standin_image: str, clean_host: None, docker_client
) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    passed, seen, _ = run(lesson(tmp_path, standin_image, second="sleep 300"), tmp_path)
    assert not passed and time.monotonic() - started < 20
    checks = [e.result for e in seen if isinstance(e, ev.CheckEvaluated) and e.step == "second"]
    assert checks[0].kind == "timeout" and "killed" in checks[0].observed
    assert not docker_client.containers.list(all=True, filters={"name": "^my_nginx$"})


def test_unmet_prerequisite_runs_nothing_and_removes_nothing(
    tmp_path: Path, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    theirs = docker_client.containers.create(standin_image, name="my_nginx")
    try:
        with pytest.raises(PrerequisiteFailed) as info:
            run(lesson(tmp_path, standin_image), tmp_path)
        assert (
            "needed: no container named my_nginx\n  found:  container my_nginx is created"
            in str(info.value)
        )
        theirs.reload()  # still there: the learner's container is never cleaned up by us
        assert theirs.status == "created"
    finally:
        theirs.remove(force=True)
