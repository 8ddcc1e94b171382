"""Every click on Run is answered (issue 16): black-box, through the real bolt App,
the stand-in for Slack's Web API, the store's public reads and real (local) labs.

The click is claimed (the session's live turn goes from ready to running) on the
listener thread, and the step runs as a job on the workers. Whatever happens
between the two must not leave the claim held with no job on it: the learner
would get no result, and every later click on the step would be absorbed in
silence as "a double click".
"""

from __future__ import annotations

import time

from hostnet.bot.testing.requests import ALICE


def _results(fake_slack, bot, step: int) -> list:  # type: ignore[no-untyped-def]
    thread = bot.thread_of(ALICE)
    return [c for c in fake_slack.posts(thread_ts=thread) if f"*Step {step} passed* on" in c.text()]


def test_a_click_gets_its_result_when_slack_drops_the_running_update(
    make_bot, echo_lessons, fake_slack
) -> None:
    """The "⏳ running on lab-01…" update is cosmetic: a connection to Slack that
    breaks while it is sent (the client's one retry included) must not lose the click."""
    echo_lessons()
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    step = bot.step_message(ALICE)
    fake_slack.dropped["chat.update"] = 2  # the update and slack_sdk's one retry of it
    bot.click(ALICE, step, "hostnet.run")
    assert fake_slack.of("chat.update:dropped"), "the stand-in did not drop the update"
    assert len(_results(fake_slack, bot, 1)) == 1, bot.explain(ALICE)
    assert bot.labs.commands("lab-01")[:1] == ["echo first hello"]
    [session] = [x for x in bot.bot.store.sessions() if x.learner == ALICE]
    assert (session.step_index, session.state) == (1, "ready"), bot.explain(ALICE)
    # and the lesson goes on from the next step's message
    assert "Step 2 passed" in bot.run_step(ALICE).text()


def test_a_click_gets_its_result_when_slack_drops_every_update(
    make_bot, echo_lessons, fake_slack
) -> None:
    """Even with no update getting through at all, the result is posted."""
    echo_lessons()
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    fake_slack.dropped["chat.update"] = 100
    bot.click(ALICE, bot.step_message(ALICE), "hostnet.run")
    assert len(_results(fake_slack, bot, 1)) == 1, bot.explain(ALICE)


def test_clicking_again_on_a_step_that_still_runs_is_answered(
    make_bot, echo_lessons, fake_slack
) -> None:
    """A second click a while after the first (not a double click) is told the step
    still runs, on which lab, and for how long; it runs nothing."""
    echo_lessons(first="sleep 3; echo first @{word}")
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    step = bot.step_message(ALICE)
    bot.click(ALICE, step, "hostnet.run", settle=False)
    time.sleep(2)
    before = len(fake_slack.replies_to(ALICE))
    bot.click(ALICE, step, "hostnet.run", settle=False)
    deadline = time.monotonic() + 5
    while len(fake_slack.replies_to(ALICE)) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    replies = fake_slack.replies_to(ALICE)[before:]
    assert len(replies) == 1, bot.explain(ALICE)
    assert "Step 1 is still running on lab-01" in replies[0], replies
    bot.settle()
    assert len(_results(fake_slack, bot, 1)) == 1
    assert bot.labs.commands().count("sleep 3; echo first hello") == 1
