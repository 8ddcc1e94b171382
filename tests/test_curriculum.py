"""Lint the curriculum on a real engine: every step's verification fails before
its command runs and passes after it, so no check can pass vacuously.

It runs over every lesson file, so a new lesson is covered the day it lands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostnet.engine.loader import lesson_files, load_lesson
from hostnet.engine.progress import ProgressStore
from hostnet.engine.runner import Runner
from hostnet.engine.targets import LocalTarget
from tests.conftest import offline_values


@pytest.mark.docker
@pytest.mark.parametrize("path", lesson_files(), ids=lambda p: p.stem)
def test_each_step_fails_before_and_passes_after(
    path: Path, standin_image: str, clean_host: None, tmp_path: Path
) -> None:
    lesson = load_lesson(path, offline_values(load_lesson(path).variables))
    target = LocalTarget()
    runner = Runner(lesson, target, progress=ProgressStore(tmp_path / "p.sqlite"))
    runner.check_prerequisites()
    try:
        runner.begin()
        for index, step in enumerate(lesson.steps):
            runner.start_step(index)
            before = runner.verify(step, None, settle=False)
            assert not all(r.ok for r in before), (
                f"step {step.id!r} of {path.name} passes before its command ran: "
                + "; ".join(f"{r.description} ({r.observed})" for r in before)
            )
            after = runner.verify(step, runner.execute(step))
            failed = [r for r in after if not r.ok]
            assert not failed, (
                f"step {step.id!r} of {path.name} fails after its command: "
                + "; ".join(
                    f"{r.description}: expected {r.expected}, observed {r.observed}" for r in failed
                )
            )
    finally:
        runner.cleanup()
        target.close()
