"""Signatures, allowlists, retries and double clicks: nothing runs that should not."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest

from hostnet.bot.testing.requests import (
    ALICE,
    BOB,
    CHANNEL,
    FORM,
    MALLORY,
    TEACHER,
    signed_headers,
    slash_body,
)


def post(url: str, body: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_http_mode_accepts_a_correctly_signed_request(http_bot, fake_slack) -> None:
    bot, url = http_bot
    body = slash_body(ALICE, "start 1", CHANNEL, f"{fake_slack.base}/response/{ALICE}")
    assert post(url, body, signed_headers(body, FORM)) == 200
    bot.settle()
    assert "$ echo first hello" in bot.step_message(ALICE).text()


@pytest.mark.parametrize("forgery", ["wrong secret", "stale timestamp", "no signature"])
def test_http_mode_refuses_forged_and_stale_requests(http_bot, fake_slack, forgery: str) -> None:
    bot, url = http_bot
    body = slash_body(ALICE, "start 1", CHANNEL, f"{fake_slack.base}/response/{ALICE}")
    if forgery == "wrong secret":
        headers = signed_headers(body, FORM, secret="not-the-secret")
    elif forgery == "stale timestamp":  # correctly signed, but 10 minutes old (a replay)
        headers = signed_headers(body, FORM, timestamp=int(time.time()) - 600)
    else:
        headers = {"content-type": FORM}
    calls = len(fake_slack.calls)
    assert post(url, body, headers) == 401
    bot.settle()
    assert fake_slack.calls[calls:] == []
    assert bot.labs.runs == []
    assert bot.bot.store.sessions() == []


def test_a_retried_event_starts_the_lesson_once(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot()
    bot.mention(ALICE, "start lesson 1", event_id="Ev0RETRY")
    # Slack did not see the ack in time and sends the same event again.
    bot.mention(
        ALICE,
        "start lesson 1",
        event_id="Ev0RETRY",
        **{"x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout"},
    )
    assert len(fake_slack.posts(top_level=True)) == 1
    assert len(bot.bot.store.sessions()) == 1
    assert fake_slack.replies_to(ALICE) == []  # not even "you already have a lesson"


def test_a_double_click_runs_the_step_once(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons(first="echo first; sleep 0.3")
    bot = make_bot()
    bot.slash(ALICE, "start 1")
    step = bot.step_message(ALICE)
    start = threading.Barrier(4)

    def click() -> None:
        start.wait()
        bot.click(ALICE, step, "hostnet.run", settle=False)

    clicks = [threading.Thread(target=click) for _ in range(4)]
    for t in clicks:
        t.start()
    for t in clicks:
        t.join()
    bot.settle()
    assert bot.labs.commands().count("echo first; sleep 0.3") == 1
    thread = bot.thread_of(ALICE)
    results = [c for c in fake_slack.posts(thread_ts=thread) if "Step 1 passed" in c.text()]
    assert len(results) == 1
    assert fake_slack.replies_to(ALICE) == []  # the extra clicks are simply absorbed


@pytest.mark.parametrize("where", ["user", "channel"])
def test_outsiders_are_refused_politely_and_nothing_runs(
    make_bot, echo_lessons, fake_slack, where: str
) -> None:
    echo_lessons()
    bot = make_bot()
    user, channel = (MALLORY, CHANNEL) if where == "user" else (ALICE, "C0ELSEWHERE")
    response = bot.slash(user, "start 1", channel=channel)
    assert response.status == 200
    [reply] = fake_slack.replies_to(user)
    assert reply.startswith("🔒 Sorry, ")
    if where == "user":
        assert "not on this bot's list of learners" in reply
    else:
        assert "only run lessons in the workshop channel: <#C0WORKSHOP>" in reply
    assert fake_slack.of("chat.postMessage") == []
    assert bot.labs.runs == [] and bot.labs.opened == []

    # Nor can an outsider click a learner's buttons.
    bot.slash(ALICE, "start 1")
    bot.click(MALLORY, bot.step_message(ALICE), "hostnet.run")
    assert "not on this bot's list" in fake_slack.replies_to(MALLORY)[-1]
    assert bot.labs.runs == []


def test_typed_text_is_never_run(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons()
    bot = make_bot()
    bot.slash(ALICE, "start 1; touch /tmp/hostnet-pwned")
    bot.slash(ALICE, "start $(touch /tmp/hostnet-pwned)")
    assert all("no lesson" in r for r in fake_slack.replies_to(ALICE))
    assert bot.labs.runs == []


def test_workshop_progress_is_for_instructors(make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons(first="echo oops")
    bot = make_bot(
        labs=[{"name": "lab-01", "local": True}, {"name": "lab-02", "local": True}],
        stuck_failures=2,
    )
    bot.slash(ALICE, "progress")
    assert "for the workshop's instructors" in fake_slack.replies_to(ALICE)[-1]

    bot.slash(ALICE, "start 1")
    bot.slash(BOB, "start 1")
    for _ in range(2):
        bot.run_step(ALICE)  # fails twice: stuck
    bot.click(BOB, bot.step_message(BOB), "hostnet.skip")
    bot.slash(TEACHER, "progress")
    table = fake_slack.replies_to(TEACHER)[-1]
    alice = next(line for line in table.splitlines() if line.startswith("<@U0ALICE>"))
    bob = next(line for line in table.splitlines() if line.startswith("<@U0BOB>"))
    assert "lab-01 · `✗·` · step 1:" in alice and "2 failed runs · ⚠️ *stuck*" in alice
    assert "lab-02 · `↷▶` · step 2:" in bob and "stuck" not in bob
