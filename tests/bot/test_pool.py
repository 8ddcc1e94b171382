"""The lab pool: one lab per learner, a queue, leases that expire, labs that are down,
and a restart that loses nothing; with SQLite and with PostgreSQL."""

from __future__ import annotations

import time

import pytest

from hostnet.bot.state import Phase
from hostnet.bot.testing.harness import Labs
from hostnet.bot.testing.requests import ALICE, BOB, CAROL, TEACHER


@pytest.fixture
def bot_database(on_both_backends: str) -> str:
    return on_both_backends


TWO_LABS = [{"name": "lab-01", "local": True}, {"name": "lab-02", "local": True}]


def holders(bot) -> dict[str, str]:
    return {lease.lab: lease.learner for lease in bot.bot.store.leases()}


def test_two_learners_get_two_labs_and_a_third_is_queued_then_served(
    make_bot, echo_lessons, fake_slack
) -> None:
    echo_lessons()
    bot = make_bot(labs=TWO_LABS)
    bot.slash(ALICE, "start 1")
    bot.slash(BOB, "start 1")
    assert holders(bot) == {"lab-01": ALICE, "lab-02": BOB}
    bot.run_step(ALICE)
    bot.run_step(BOB)
    assert {lab for lab, _ in bot.labs.runs} == {"lab-01", "lab-02"}
    assert set(bot.labs.commands("lab-01")) == {"echo first hello", "true"}

    bot.slash(CAROL, "start 1")
    carol = bot.thread_of(CAROL)
    [queued] = fake_slack.posts(thread_ts=carol)
    assert "all 2 labs are in use; you are number 1 in the queue" in queued.text()
    bot.slash(TEACHER, "labs")
    labs = fake_slack.replies_to(TEACHER)[-1]
    assert "*lab-01*: <@U0ALICE> · lesson 1, step 2 of 2" in labs
    assert "*Queue:* 1. <@U0CAROL>" in labs

    bot.run_step(ALICE)  # Alice's last step: her lab is cleaned and given to Carol
    assert holders(bot) == {"lab-01": CAROL, "lab-02": BOB}
    served = fake_slack.posts(thread_ts=carol)[1]
    assert "<@U0CAROL> *lab-01* is yours now" in served.text()
    assert "Step 1 of 2" in bot.step_message(CAROL).text()
    assert bot.labs.commands("lab-01")[-1] == "echo cleaned"  # Alice's cleanup came first
    bot.run_step(CAROL)


def test_an_idle_lease_expires_the_lab_is_cleaned_and_the_queue_served(
    make_bot, echo_lessons, fake_slack
) -> None:
    echo_lessons()
    bot = make_bot(labs=[{"name": "lab-01", "local": True}], lease_idle_minutes=20)
    bot.slash(ALICE, "start 1")
    bot.slash(BOB, "start 1")
    recovery = bot.bot.parts.recovery
    recovery.tick(now=time.time() + 10 * 60)  # not idle long enough
    bot.settle()
    assert holders(bot) == {"lab-01": ALICE}

    recovery.tick(now=time.time() + 21 * 60)
    bot.settle()
    assert holders(bot) == {"lab-01": BOB}
    expired = fake_slack.posts(thread_ts=bot.thread_of(ALICE))[-1].text()
    assert "your lease on lab-01 expired after 20 min without activity" in expired
    assert "was removed, and the lab was given back" in expired
    assert bot.labs.commands("lab-01") == ["echo cleaned"]
    # Alice's old buttons are dead; Bob's lesson runs on the lab.
    bot.click(ALICE, fake_slack.last_with("hostnet.run", bot.thread_of(ALICE)), "hostnet.run")
    assert "That lesson is over" in fake_slack.replies_to(ALICE)[-1]
    bot.run_step(BOB)
    assert bot.labs.commands("lab-01")[1:] == ["echo first hello", "true"]


def test_a_lab_that_is_down_gives_a_readable_error_and_is_released(
    make_bot, echo_lessons, fake_slack
) -> None:
    echo_lessons()
    labs = Labs(down={"lab-01"})
    bot = make_bot(labs=TWO_LABS, target_factory=labs)
    bot.slash(ALICE, "start 1")
    thread = bot.thread_of(ALICE)
    error = fake_slack.posts(thread_ts=thread)[-1].text()
    assert "⚠️ Lab lab-01 cannot be reached: lab lab-01 (root@10.0.0.9:22) is unreachable" in error
    assert "*hint:* is the lab VM up" in error
    assert "I gave lab-01 back and took it out of service" in error
    assert "`/hostnet start 1` starts again on another lab" in error
    assert holders(bot) == {}
    assert bot.bot.store.sessions()[0].status == "failed"

    bot.slash(TEACHER, "labs")
    assert "*lab-01*: out of service until" in fake_slack.replies_to(TEACHER)[-1]
    bot.slash(ALICE, "start 1")  # the next try gets the lab that works
    assert holders(bot) == {"lab-02": ALICE}
    bot.run_step(ALICE)


def test_a_lab_that_drops_mid_lesson(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    labs = Labs()
    bot = make_bot(labs=TWO_LABS, target_factory=labs)
    bot.slash(ALICE, "start 1")
    bot.slash(BOB, "start 1")
    bot.slash(CAROL, "start 1")  # queued
    bot.run_step(ALICE)
    # lab-01 goes away: its connection dies and it cannot be reopened.
    labs.down.add("lab-01")
    bot.bot.parts.core.connections.drop("lab-01")
    bot.click(ALICE, bot.step_message(ALICE), "hostnet.run")
    error = fake_slack.posts(thread_ts=bot.thread_of(ALICE))[-1].text()
    assert "Lab lab-01 cannot be reached" in error
    assert holders(bot) == {"lab-02": BOB}  # Carol is not handed the broken lab


def test_a_restarted_bot_continues_the_lesson_on_the_same_lab(
    make_bot, echo_lessons, fake_slack
) -> None:
    echo_lessons()
    bot = make_bot(labs=TWO_LABS)
    bot.slash(BOB, "start 1")
    bot.slash(ALICE, "start 1")
    bot.run_step(ALICE)
    step2 = bot.step_message(ALICE)

    bot.restart()  # a new process: new App, new service, new connections; same database
    assert bot.labs.opened.count("lab-02") == 1
    result = bot.run_step(ALICE)  # the button posted before the restart
    assert "✓ *Step 2 passed* on lab-02" in result.text()
    assert result.args["thread_ts"] == bot.thread_of(ALICE)
    assert bot.labs.opened.count("lab-02") == 2  # reconnected to the same lab
    assert bot.labs.commands("lab-02") == [
        "echo first hello",
        "true",
        "echo second hello",
        "true",
        "echo cleaned",
    ]
    assert fake_slack.last_with("hostnet.quiz.1").args["thread_ts"] == bot.thread_of(ALICE)
    assert step2.ts != result.ts


def test_a_restart_while_a_step_ran_offers_it_again(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    store = bot.bot.store
    session = store.sessions()[0]
    assert store.claim(session.id, session.turn, Phase.STEP)  # the bot died while the step ran
    old = bot.step_message(ALICE)

    bot.restart()
    again = bot.step_message(ALICE)
    assert again.ts != old.ts
    assert "The bot restarted while step 1 was running; its result was lost." in again.text()
    bot.run_step(ALICE)


def test_an_ssh_lab_nobody_answers_for(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot(labs=[{"name": "lab-09", "url": "ssh://root@127.0.0.1:1"}])
    bot.slash(ALICE, "start 1")
    error = fake_slack.posts(thread_ts=bot.thread_of(ALICE))[-1].text()
    assert "⚠️ Lab lab-09 cannot be reached: lab lab-09 (root@127.0.0.1:1) is unreachable" in error
    assert holders(bot) == {}
