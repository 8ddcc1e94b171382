"""A lesson in a thread, driven by slash command, mention and clicks.

These use a harmless lesson (``echo``) on ``local: true`` labs, so they need
no Docker; lesson 1 on a real engine and on an SSH lab is in test_lesson1.py.
"""

from __future__ import annotations

from hostnet.bot.testing.requests import ALICE, BOB, CHANNEL
from hostnet.engine.progress import ProgressStore


def test_a_whole_lesson_in_its_thread(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot(variables={"word": "hi"})
    response = bot.slash(ALICE, "start 1")
    assert response.status == 200

    # The lesson message is posted in the channel; everything else in its thread.
    [intro] = fake_slack.posts(top_level=True)
    assert intro.args["channel"] == CHANNEL
    assert "Lesson 1: Echo, twice" in intro.text()
    thread = intro.ts
    assert all(c.args.get("thread_ts") == thread for c in fake_slack.posts()[1:])
    concepts, step1 = fake_slack.posts(thread_ts=thread)
    assert "Key points" in concepts.text() and "It prints its arguments." in concepts.text()
    assert "Step 1 of 2: Say the word" in step1.text()
    assert "$ echo first hi" in step1.text()  # the configured variable, in the exact command
    assert set(step1.buttons()) == {"hostnet.run", "hostnet.hint", "hostnet.skip"}

    first = bot.run_step(ALICE)
    assert "✓ *Step 1 passed* on lab-01" in first.text()
    assert "first hi" in first.text()  # the command's output
    assert "✓ the command's output contains 'first'" in first.text()
    assert "rich_text_preformatted" in str(first.args["blocks"])
    # The step message lost its buttons: running, then its verdict.
    updates = [c for c in fake_slack.of("chat.update") if c.args["ts"] == step1.ts]
    assert ["⏳ running on *lab-01*…" in updates[0].text(), updates[0].buttons()] == [True, {}]
    assert "✓ passed on *lab-01*" in updates[1].text() and updates[1].buttons() == {}

    second = bot.run_step(ALICE)
    assert "second hi" in second.text() and "✗" not in second.text()

    quiz = fake_slack.last_with("hostnet.quiz.1", thread)
    assert "Knowledge check 1 of 2" in quiz.text()
    bot.click(ALICE, quiz, "hostnet.quiz.1")
    quiz2 = fake_slack.last_with("hostnet.quiz.2", thread)
    bot.click(ALICE, quiz2, "hostnet.quiz.1")  # wrong
    answered = [c.text() for c in fake_slack.of("chat.update")]
    assert any("✓ *1. Prints its arguments*: right." in t for t in answered)
    assert any("The answer is *2. the second*: The second step did." in t for t in answered)

    summary = fake_slack.posts(thread_ts=thread)[-1].text()
    assert "Lesson 1 done: Echo, twice" in summary
    assert "Steps verified: 2 of 2" in summary
    assert "Knowledge check: 1 of 2 right" in summary
    assert "Time taken:" in summary

    # Only the lesson's own commands ran, on the lab, in order, then its cleanup.
    assert bot.labs.commands() == [
        "echo first hi",
        "true",
        "echo second hi",
        "true",
        "echo cleaned",
    ]
    store = ProgressStore(bot.config.database)
    assert {k: v.status for k, v in store.lesson(ALICE, "echo").items()} == {
        "first": "passed",
        "second": "passed",
    }
    assert store.quiz(ALICE, "echo") == {1: True, 2: False}
    bot.slash(ALICE, "labs")
    assert "*lab-01*: free" in fake_slack.replies_to(ALICE)[-1]


def test_a_failed_step_shows_the_evidence_then_offers_it_again(
    make_bot, echo_lessons, fake_slack
) -> None:
    echo_lessons(first="echo oops")
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    thread = bot.thread_of(ALICE)

    failed = bot.run_step(ALICE)
    text = failed.text()
    assert "✗ *Step 1 failed* on lab-01" in text
    assert "✗ the command's output contains 'first'" in text
    assert "*expected:* exit 0, output contains 'first'" in text
    assert "*observed:* exit 0: oops" in text
    again = bot.step_message(ALICE)
    assert "Step 1 again" in again.text()
    assert "Run again on my lab" in again.text()

    # Hints one at a time, then none left.
    for _ in range(3):
        bot.click(ALICE, again, "hostnet.hint")
    hints = [c.args["text"] for c in fake_slack.posts(thread_ts=thread)]
    assert hints[-3:] == [
        "💡 *Hint 1 of 2:* Type it exactly.",
        "💡 *Hint 2 of 2:* Really exactly.",
        "No more hints for this step: click *Run on my lab* and read the ✗ lines.",
    ]

    # Skip moves on; the progress store says so.
    bot.click(ALICE, again, "hostnet.skip")
    assert "Step 2 of 2" in bot.step_message(ALICE).text()
    store = ProgressStore(bot.config.database)
    assert store.lesson(ALICE, "echo")["first"].status == "skipped"

    bot.slash(ALICE, "stop")
    assert "Lesson stopped by <@U0ALICE>." in fake_slack.posts(thread_ts=thread)[-1].text()
    assert bot.labs.commands()[-1] == "echo cleaned"  # the lab was cleaned up


def test_buttons_of_earlier_messages_and_of_other_learners_run_nothing(
    make_bot, echo_lessons, fake_slack
) -> None:
    echo_lessons()
    bot = make_bot(labs=[{"name": "lab-01", "local": True}, {"name": "lab-02", "local": True}])
    bot.slash(ALICE, "start 1")
    step1 = bot.step_message(ALICE)
    bot.run_step(ALICE)
    runs = len(bot.labs.runs)

    bot.click(ALICE, step1, "hostnet.run")  # step 1's button, after step 1 passed
    assert "earlier message" in fake_slack.replies_to(ALICE)[-1]
    bot.click(BOB, bot.step_message(ALICE), "hostnet.run")  # Bob on Alice's lesson
    assert "This is <@U0ALICE>'s lesson" in fake_slack.replies_to(BOB)[-1]
    assert len(bot.labs.runs) == runs


def test_mention_starts_a_lesson(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot()
    bot.mention(ALICE, "start lesson 1", event_id="Ev001")
    assert "$ echo first hello" in bot.step_message(ALICE).text()
    bot.mention(ALICE, "labs", event_id="Ev002")
    assert "*lab-01*: <@U0ALICE> · lesson 1, step 1 of 2" in fake_slack.replies_to(ALICE)[-1]


def test_help_lessons_and_one_lesson_at_a_time(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot()
    bot.slash(ALICE, "")
    assert "/hostnet start 1" in fake_slack.replies_to(ALICE)[-1]
    bot.slash(ALICE, "frobnicate")
    assert "I don't know `frobnicate`" in fake_slack.replies_to(ALICE)[-1]
    bot.slash(ALICE, "start 9")
    assert "no lesson '9'" in fake_slack.replies_to(ALICE)[-1]
    bot.slash(ALICE, "start 1")
    bot.run_step(ALICE)
    bot.slash(ALICE, "lessons")
    assert "*1.* Echo, twice: 1 of 2 steps passed · in progress" in fake_slack.replies_to(ALICE)[-1]
    bot.slash(ALICE, "start 1")
    assert "You already have a lesson going" in fake_slack.replies_to(ALICE)[-1]
    assert len(fake_slack.posts(top_level=True)) == 1


def test_long_output_is_cut_and_secrets_are_redacted(make_bot, echo_lessons, fake_slack) -> None:
    token = "xoxb-1234567890-abcdefghijklmnop"
    echo_lessons(
        first=(
            f"echo first; echo password=hunter2; echo {token}; "
            "printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk\\n"
            "-----END OPENSSH PRIVATE KEY-----\\n'; seq 1 500"
        )
    )
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    result = bot.run_step(ALICE)
    everything = "\n".join(c.text() for c in fake_slack.calls)
    for secret in ("hunter2", token, "b3BlbnNzaC1rZXk"):
        assert secret not in everything
    assert "password=[redacted]" in result.text()
    assert "more lines" in result.text()
    output = result.args["blocks"][1]["elements"][0]["elements"][0]["text"]
    assert len(output) < 3000 and output.count("\n") <= 41


def test_a_rate_limited_post_is_retried(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot()
    fake_slack.rate_limited["chat.postMessage"] = 1
    bot.slash(ALICE, "start 1")
    assert len(fake_slack.of("chat.postMessage:429")) == 1
    assert "Lesson 1: Echo, twice" in fake_slack.posts(top_level=True)[0].text()


def test_a_channel_the_bot_is_not_in_gets_a_readable_reply(
    make_bot, echo_lessons, fake_slack
) -> None:
    echo_lessons()
    bot = make_bot()
    fake_slack.errors["chat.postMessage"] = "not_in_channel"
    bot.slash(ALICE, "start 1")
    assert "I cannot post in this channel (not_in_channel)" in fake_slack.replies_to(ALICE)[-1]
    assert bot.labs.runs == []
    del fake_slack.errors["chat.postMessage"]
    bot.slash(ALICE, "start 1")  # the failed attempt holds neither a lab nor a session
    assert "Step 1 of 2" in bot.step_message(ALICE).text()


def test_a_step_runs_without_waiting_for_its_running_line(
    make_bot, echo_lessons, fake_slack
) -> None:
    """The "⏳ running" line is cosmetic: the command starts while Slack answers it,
    and the result's line waits for it (so "running" never overwrites the verdict)."""
    echo_lessons()
    bot = make_bot(variables={"word": "hi"})
    bot.slash(ALICE, "start 1")
    step = bot.step_message(ALICE)
    fake_slack.slow["chat.update"] = 2.0  # each answer held back
    result = bot.run_step(ALICE)
    assert "✓ *Step 1 passed* on lab-01" in result.text()

    running, verdict = [c for c in fake_slack.of("chat.update") if c.args["ts"] == step.ts][:2]
    assert "⏳ running on *lab-01*…" in running.text() and "✓ passed" in verdict.text()
    [ran] = [r for r in bot.labs.history if r.command == "echo first hi"]
    assert ran.started < running.at + 2.0  # before Slack answered the running line
    assert verdict.at >= running.at + 2.0  # after it did
