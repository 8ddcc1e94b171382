"""Lint the curriculum on a real engine: every step's verification fails before
its command runs and passes after it, so no check can pass vacuously.

Both ways a learner can do a step are covered: ``auto`` (the tool runs the
command and sees its output) and ``manual`` (the learner runs it in their own
terminal; the tool sees the live system and the answers to the step's
questions). It runs over every lesson file, on the local engine and on a netns lab
over SSH, so a new lesson is covered the day it lands.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostnet.engine.loader import lesson_files, load_lesson
from hostnet.engine.progress import ProgressStore
from hostnet.engine.session import LessonSession
from hostnet.engine.ssh import SSHTarget
from hostnet.engine.targets import LocalTarget, Target
from tests.support.env import offline_values


def _failures(results) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(
        f"{r.description}: expected {r.expected}, observed {r.observed}" for r in results
    )


@pytest.mark.docker
@pytest.mark.parametrize("where", ["local", "lab"])
@pytest.mark.parametrize("mode", ["auto", "manual"])
@pytest.mark.parametrize("path", lesson_files(), ids=lambda p: p.stem)
def test_each_step_fails_before_and_passes_after(
    path: Path,
    mode: str,
    where: str,
    standin_image: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    lesson = load_lesson(path, offline_values(load_lesson(path).variables))
    target: Target
    if where == "local":
        request.getfixturevalue("clean_host")
        target = LocalTarget()
    else:  # a netns lab over SSH, once the lab issue landed
        lab = request.getfixturevalue("netns_labs")()
        target = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
    session = LessonSession(lesson, target, progress=ProgressStore(tmp_path / "p.sqlite"))
    try:
        session.start()
        # The session's lesson: built-in variables (@{host_address}) bound for this target,
        # as the learner sees the commands.
        for index, step in enumerate(session.lesson.steps):
            session.begin_step(index)
            before = session.judge(index, mode, settle=False)  # type: ignore[arg-type]
            assert not all(r.ok for r in before), (
                f"{mode}: step {step.id!r} of {path.name} passes before its command ran: "
                + "; ".join(f"{r.description} ({r.observed})" for r in before)
            )
            if mode == "auto":
                after = session.run_step(index).results
            else:
                target.run(step.command, timeout=step.timeout)  # the learner's own terminal
                wrong = {q: "-1" for q in step.questions()}
                if wrong:
                    rejected = session.judge(index, "manual", answers=wrong)
                    assert not all(r.ok for r in rejected), (
                        f"step {step.id!r} accepts wrong answers"
                    )
                right = {q: min(a, default="") for q, a in session.right_answers(index).items()}
                after = session.check_step(index, right).results
            failed = [r for r in after if not r.ok]
            assert not failed, (
                f"{mode}: step {step.id!r} of {path.name} fails after its command: {_failures(failed)}"
            )
    finally:
        session.cleanup()
        target.close()
