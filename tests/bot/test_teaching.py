"""Predictions and challenges in a Slack thread: the real bolt App, the fake Web
API, a harmless lesson on a ``local: true`` lab."""

from __future__ import annotations

from pathlib import Path

from hostnet.bot.testing.requests import ALICE, BOB, TEACHER
from hostnet.engine.progress import ProgressStore

LESSON = """\
format_version: 1
id: teach
number: 1
title: Guess and find
summary: A prediction, then a challenge.
variables:
  dir: {default: /tmp}
steps:
  - id: guess
    title: Guess, then list
    explanation: List the folder.
    command: ls @{dir}
    predict:
      question: What does ls print in an empty folder?
      choices: [nothing, a dot, an error]
      answer: 1
      explanation: An empty folder has no entries to print.
    checks:
      - kind: output
        exit_code: 0
      - kind: command
        run: "true"
  - id: make
    title: Make a file
    explanation: Make a file named made in the folder, any way you like.
    command: touch @{dir}/made
    challenge: true
    hints: [A command that creates an empty file.]
    checks:
      - kind: command
        run: test -f @{dir}/made
cleanup:
  - rm -f @{dir}/made
"""


def start(make_bot, tmp_path: Path, monkeypatch, fake_slack):  # type: ignore[no-untyped-def]
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "01-teach.yaml").write_text(LESSON)
    monkeypatch.setenv("HOSTNET_LESSONS_DIR", str(folder))
    work = tmp_path / "work"
    work.mkdir()
    bot = make_bot(variables={"dir": str(work)})
    bot.slash(ALICE, "start 1")
    return bot, work


def test_a_prediction_comes_before_run_and_its_answer_after(
    make_bot, tmp_path, monkeypatch, fake_slack
) -> None:
    bot, _ = start(make_bot, tmp_path, monkeypatch, fake_slack)
    thread = bot.thread_of(ALICE)
    step = fake_slack.posts(thread_ts=thread)[-1]
    assert "Predict first:* What does ls print in an empty folder?" in step.text()
    assert set(step.buttons()) == {"hostnet.predict.1", "hostnet.predict.2", "hostnet.predict.3"}
    assert "An empty folder has no entries" not in fake_slack.dump()  # nothing revealed yet

    bot.click(BOB, step, "hostnet.predict.2")  # not Bob's lesson
    assert "This is <@U0ALICE>'s lesson" in fake_slack.replies_to(BOB)[-1]
    bot.click(ALICE, step, "hostnet.predict.2")
    bot.click(ALICE, step, "hostnet.predict.3")  # a second click changes nothing
    [updated] = [c for c in fake_slack.of("chat.update") if c.args["ts"] == step.ts]
    assert "You predicted: *a dot*" in updated.text()
    assert set(updated.buttons()) == {"hostnet.run", "hostnet.hint", "hostnet.skip"}

    bot.click(ALICE, updated.__class__(updated.method, updated.args, step.ts), "hostnet.run")
    result = [c for c in fake_slack.posts(thread_ts=thread) if "passed* on" in c.text()][-1]
    assert "not quite*: you predicted *a dot*; you saw *nothing*." in result.text()
    assert "An empty folder has no entries to print." in result.text()

    store = ProgressStore(bot.config.database)
    assert store.prediction_rates("teach") == {"guess": (0, 1)}
    bot.slash(TEACHER, "progress")
    assert "predicted right by 0 of 1 (0%)" in fake_slack.replies_to(TEACHER)[-1]


def test_a_challenge_shows_the_goal_hints_in_layers_and_run_is_help(
    make_bot, tmp_path, monkeypatch, fake_slack
) -> None:
    bot, work = start(make_bot, tmp_path, monkeypatch, fake_slack)
    thread = bot.thread_of(ALICE)
    bot.click(ALICE, fake_slack.last_with("hostnet.predict.1", thread), "hostnet.predict.1")
    updated = fake_slack.of("chat.update")[-1]
    bot.click(
        ALICE, updated.__class__(updated.method, updated.args, updated.args["ts"]), "hostnet.run"
    )

    challenge = bot.step_message(ALICE)
    text = challenge.text()
    assert "Step 2 of 2: Make a file* (a challenge)" in text
    assert "*Goal:* Make a file named made" in text
    assert f"touch {work}/made" not in text  # the command is not given
    bot.click(ALICE, challenge, "hostnet.hint")
    bot.click(ALICE, challenge, "hostnet.hint")
    bot.click(ALICE, challenge, "hostnet.hint")
    posted = [c.args["text"] for c in fake_slack.posts(thread_ts=thread)]
    hints = [t for t in posted if t.startswith(("💡", "No more hints"))]
    assert hints[0] == "💡 *Hint 1 of 2:* A command that creates an empty file."
    assert hints[1] == f"💡 *Hint 2 of 2:* One way: `touch {work}/made`"
    assert "No more hints" in hints[2]

    result = bot.run_step(ALICE)
    assert "✓ *Step 2 passed* on lab-01 · " in result.text()
    assert " s (solved with help)" in result.text()
    saved = ProgressStore(bot.config.database).lesson(ALICE, "teach")
    assert saved["make"].status == "passed" and saved["make"].helped
