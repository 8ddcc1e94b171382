"""The lesson-session API on its own: no Slack, no terminal, no Docker.

What both front ends rely on: the verbs, their typed outcomes, the events, what
is kept in the progress store, and a session that picks up where another left.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostnet.engine import events as ev
from hostnet.engine.loader import load_lesson
from hostnet.engine.model import Lesson
from hostnet.engine.outcomes import NoTarget, SetupFailed
from hostnet.engine.progress import ProgressStore
from hostnet.engine.session import LessonSession
from hostnet.engine.targets import LocalTarget

LESSON = """\
format_version: 1
id: session-api
number: 60
title: Session API
summary: Files in a folder, made and looked at.
variables:
  dir: {default: /tmp}
steps:
  - id: make
    title: Make a file
    explanation: Touch it.
    command: touch @{dir}/made && echo made
    checks:
      - kind: output
        contains: made
      - kind: command
        run: test -f @{dir}/made
      - kind: interfaces
        since: step
  - id: look
    title: Look at it
    explanation: List the folder.
    command: ls @{dir}
    hints: [Use ls., Type `ls` and the folder.]
    checks:
      - kind: output
        contains: made
      - kind: probe_answer
        question: How many files are in the folder?
        run: ls @{dir} | wc -l
quiz:
  - question: What made the file?
    choices: [touch, ls]
    answer: 1
    explanation: touch creates a file.
cleanup:
  - rm -f @{dir}/made
"""


@pytest.fixture
def lesson(tmp_path: Path) -> Lesson:
    folder = tmp_path / "files"
    folder.mkdir()
    path = tmp_path / "60-session-api.yaml"
    path.write_text(LESSON)
    return load_lesson(path, {"dir": str(folder)})


@pytest.fixture
def progress(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.sqlite")


def names(events: list[ev.Event]) -> list[str]:
    return [type(e).__name__ for e in events if not isinstance(e, ev.Output)]


def test_run_all_runs_each_step_verifies_it_and_cleans_up(
    lesson: Lesson, progress: ProgressStore, tmp_path: Path
) -> None:
    seen: list[ev.Event] = []
    session = LessonSession(lesson, LocalTarget(), progress=progress, emit=seen.append)
    assert session.run_all() and session.ok
    assert names(seen) == [
        "LessonStarted",
        "StepStarted", "CommandFinished", "CheckEvaluated", "CheckEvaluated", "CheckEvaluated",
        "StepFinished",
        "StepStarted", "CommandFinished", "CheckEvaluated", "StepFinished",
        "AnswersRevealed",  # (run for the learner: the answer they did not have to find)
        "CleanupFinished", "LessonFinished",
    ]  # fmt: skip
    assert seen[-1] == ev.LessonFinished(
        "session-api",
        True,
        2,
        2,
        seen[-1].duration,  # type: ignore[attr-defined]
    )
    assert not (tmp_path / "files" / "made").exists()  # cleanup ran
    saved = progress.lesson("local", "session-api")
    assert {k: v.status for k, v in saved.items()} == {"make": "passed", "look": "passed"}


def test_steps_done_by_hand_are_judged_by_state_and_answers(
    lesson: Lesson, progress: ProgressStore, tmp_path: Path
) -> None:
    target = LocalTarget()
    session = LessonSession(lesson, target, progress=progress, settle_timeout=0.2)
    session.start()
    session.begin_step(0)
    before = session.check_step(0)
    assert before.status == "failed" and before.command is None
    assert [r.kind for r in before.results] == ["command", "interfaces"]  # no output check
    target.run(lesson.steps[0].command, timeout=5)  # the learner's own terminal
    assert session.check_step(0).passed
    session.begin_step(1)
    question = lesson.steps[1].questions()[0]
    assert session.right_answers(1) == {question: {"1"}}
    wrong = session.check_step(1, {question: "7"})
    assert not wrong.passed and "you answered '7'" in wrong.results[0].observed
    assert session.check_step(1, {question: " 1 "}).passed
    assert session.ok
    session.finish()


def test_recording_verbs_need_no_target(lesson: Lesson, progress: ProgressStore) -> None:
    seen: list[ev.Event] = []
    session = LessonSession(lesson, None, progress=progress, emit=seen.append)
    assert session.skip_step(0).status == "skipped"
    outcome = session.answer_quiz(0, 2)
    assert (outcome.correct, outcome.right_choice) == (False, 1)
    with pytest.raises(ValueError):
        session.answer_quiz(0, 3)
    with pytest.raises(NoTarget, match="lesson 60: no lab or machine is attached"):
        session.run_step(1)
    assert progress.quiz("local", "session-api") == {1: False}
    assert progress.lesson("local", "session-api")["make"].status == "skipped"
    assert [type(e).__name__ for e in seen] == ["StepFinished", "QuizAnswered"]


def test_a_new_session_resumes_where_the_last_one_left(
    lesson: Lesson, progress: ProgressStore
) -> None:
    """As the bot does: one short-lived session per click, one progress store."""
    first = LessonSession(lesson, LocalTarget(), progress=progress)
    first.start()
    assert first.run_step(0).passed
    second = LessonSession(lesson, LocalTarget(), progress=progress)
    assert second.resume()  # the baselines and the passed step come back
    assert second.run_step(1).passed
    assert second.ok
    fresh = LessonSession(
        lesson, LocalTarget(), progress=ProgressStore(progress.path.with_name("x"))
    )
    assert not fresh.resume()  # nothing saved: the baselines are taken now


def test_replay_rebuilds_state_quietly_and_stops_at_a_failure(
    lesson: Lesson, progress: ProgressStore, tmp_path: Path
) -> None:
    seen: list[ev.Event] = []
    session = LessonSession(lesson, LocalTarget(), progress=progress, emit=seen.append)
    with session.attempt():
        assert session.replay(2) == 2
    replayed = [e for e in seen if isinstance(e, ev.StepReplayed)]
    assert replayed == [
        ev.StepReplayed("make", 1, "Make a file", True),
        ev.StepReplayed("look", 2, "Look at it", True),
    ]
    assert "StepStarted" not in names(seen) and "CheckEvaluated" not in names(seen)

    path = tmp_path / "60-session-api.yaml"
    broken = load_lesson(path, {"dir": str(tmp_path / "gone")})  # step 1 cannot make its file
    seen.clear()
    again = LessonSession(
        broken, LocalTarget(), progress=progress, emit=seen.append, settle_timeout=0.2
    )
    with again.attempt():
        assert again.replay(2) == 0
    assert [e for e in seen if isinstance(e, ev.StepReplayed)] == [
        ev.StepReplayed("make", 1, "Make a file", False)
    ]


def test_a_stopped_or_interrupted_lesson_is_not_ok(lesson: Lesson, progress: ProgressStore) -> None:
    seen: list[ev.Event] = []
    session = LessonSession(lesson, LocalTarget(), progress=progress, emit=seen.append)
    with pytest.raises(KeyboardInterrupt), session.attempt():
        session.run_step(0)
        raise KeyboardInterrupt
    finished = seen[-1]
    assert isinstance(finished, ev.LessonFinished)
    assert finished.interrupted and not finished.passed and finished.steps_passed == 1
    assert isinstance(seen[-2], ev.CleanupFinished)  # cleanup ran before the interrupt went on

    quitter = LessonSession(lesson, LocalTarget(), progress=progress, emit=seen.append)
    with quitter.attempt():
        quitter.run_step(0)
        quitter.run_step(1)
        quitter.stop()
    assert not quitter.ok and seen[-1].stopped  # type: ignore[attr-defined]


TEACHING = """\
format_version: 1
id: teaching
number: 61
title: Teaching powers
summary: A prediction, a challenge, a question, a starting state.
variables:
  dir: {default: /tmp}
setup:
  - mkdir -p @{dir}/start && echo ready > @{dir}/start/state
steps:
  - id: predict
    title: Guess, then look
    explanation: Count the files.
    command: ls @{dir}/start
    predict:
      question: How many files are in start/?
      choices: ["none", "one", "two"]
      answer: 2
      explanation: setup made one file, state.
    checks:
      - kind: output
        contains: state
      - kind: command
        run: test -f @{dir}/start/state
  - id: goal
    title: Make a second file
    explanation: Make start/second exist, any way you like.
    command: touch @{dir}/start/second
    challenge: true
    hints: [Any command that creates a file will do.]
    checks:
      - kind: command
        run: test -f @{dir}/start/second
  - id: ask
    title: Count again
    explanation: List the folder.
    command: ls @{dir}/start
    hints: [Count the names ls prints.]
    checks:
      - kind: probe_answer
        question: How many files now?
        run: ls @{dir}/start | wc -l
        hint: Count the names ls prints.
      - kind: command
        run: "true"
cleanup:
  - rm -rf @{dir}/start
"""


@pytest.fixture
def teaching(tmp_path: Path) -> Lesson:
    path = tmp_path / "61-teaching.yaml"
    path.write_text(TEACHING)
    return load_lesson(path, {"dir": str(tmp_path)})


def test_a_prediction_is_revealed_only_after_the_step_passed(
    teaching: Lesson, progress: ProgressStore
) -> None:
    seen: list[ev.Event] = []
    session = LessonSession(teaching, LocalTarget(), progress=progress, emit=seen.append)
    with session.attempt():
        session.predict(0, 1)  # "none": wrong, and not said yet
        assert not [e for e in seen if isinstance(e, ev.PredictionRevealed)]
        assert session.run_step(0).passed
    [revealed] = [e for e in seen if isinstance(e, ev.PredictionRevealed)]
    assert (revealed.chosen, revealed.right, revealed.correct) == ("none", "one", False)
    assert progress.prediction_rates("teaching") == {"predict": (0, 1)}
    with pytest.raises(ValueError):
        session.predict(0, 4)
    with pytest.raises(ValueError, match="asks for no prediction"):
        session.predict(1, 1)


def test_a_challenge_run_for_the_learner_or_whose_solution_was_shown_is_solved_with_help(
    teaching: Lesson, progress: ProgressStore, tmp_path: Path
) -> None:
    session = LessonSession(teaching, LocalTarget(), progress=progress, settle_timeout=0.2)
    session.start()
    assert session.hint(1, 1).text == "Any command that creates a file will do."
    last = session.hint(1, 2)
    assert last.solution and last.text == f"One way: `touch {tmp_path}/start/second`"
    assert session.hint(1, 3).text is None  # no more
    (tmp_path / "start" / "second").touch()  # the learner's own way
    outcome = session.check_step(1)
    assert outcome.passed and outcome.helped  # the solution was shown
    assert progress.lesson("local", "teaching")["goal"].helped

    again = LessonSession(teaching, LocalTarget(), progress=progress)
    again.start()  # a new go: no help counted yet
    (tmp_path / "start" / "second").touch()
    assert not again.check_step(1).helped  # found alone
    assert again.run_step(1).helped  # the tool ran it
    session.finish()


def test_a_wrong_answer_gets_the_hint_first_and_the_answer_on_the_second_try(
    teaching: Lesson, progress: ProgressStore
) -> None:
    session = LessonSession(teaching, LocalTarget(), progress=progress, settle_timeout=0.2)
    with session.attempt():
        session.begin_step(2)
        question = teaching.steps[2].questions()[0]
        first = session.check_step(2, {question: "7"}).results[0]
        assert "shown after a second wrong answer" in first.expected
        assert first.hint == "Count the names ls prints."
        second = session.check_step(2, {question: "7"}).results[0]
        assert second.expected == "1"
        # A resumed session (the bot's next click) keeps counting.
        later = LessonSession(teaching, LocalTarget(), progress=progress, settle_timeout=0.2)
        assert later.resume()
        assert later.check_step(2, {question: "8"}).results[0].expected == "1"


def test_skip_and_run_for_me_reveal_the_answers(teaching: Lesson, progress: ProgressStore) -> None:
    seen: list[ev.Event] = []
    session = LessonSession(teaching, LocalTarget(), progress=progress, emit=seen.append)
    with session.attempt():
        session.skip_step(2)
        session.run_step(2)
    revealed = [e for e in seen if isinstance(e, ev.AnswersRevealed)]
    assert [e.answers for e in revealed] == [(("How many files now?", "1"),)] * 2


def test_a_failing_setup_stops_the_lesson_and_cleans_up(
    teaching: Lesson, progress: ProgressStore, tmp_path: Path
) -> None:
    path = tmp_path / "61-teaching.yaml"
    path.write_text(TEACHING.replace("echo ready >", "echo made; false >"))
    broken = load_lesson(path, {"dir": str(tmp_path)})
    seen: list[ev.Event] = []
    session = LessonSession(broken, LocalTarget(), progress=progress, emit=seen.append)
    with pytest.raises(SetupFailed) as info, session.attempt():
        pytest.fail("no step may run after a failed setup")
    assert "its setup command `mkdir -p" in info.value.message and "made" in info.value.message
    assert info.value.exit_code == 4
    assert names(seen) == ["LessonStarted", "SetupFinished", "CleanupFinished"]
    assert not (tmp_path / "start").exists()  # cleanup ran
