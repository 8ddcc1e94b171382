"""A slow step, and a step that never ends, on a real netns lab over SSH (issue 16):
the real bolt App, the stand-in for Slack's Web API, the store's public reads.

* While a step runs, its message says "still running on lab-01 (N s)", first
  after a few seconds, then again while it runs, and never after its result.
* A step that outlives its time limit plus the backstop (here: the whole lab
  stops, as a paused VM does) ends with a message that names the lab, says what
  happened and what to do, and the learner gets live buttons back; the session
  is no longer ``running``.
"""

from __future__ import annotations

import re
import time

import pytest

from hostnet.bot import watch
from hostnet.bot.testing.requests import ALICE
from tests.support.netns import frozen

pytestmark = pytest.mark.docker
STILL = re.compile(r"still running on \*lab-01\* \((\d+) s\)")


def _lab_01(lab) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return [{"name": "lab-01", "ssh_config": str(lab.ssh_config), "host": lab.name}]


def _until(what: str, found, timeout: float, bot) -> object:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {timeout:g} s\n{bot.explain(ALICE)}")


def test_a_slow_step_says_it_still_runs_until_its_result(
    make_bot, echo_lessons, fake_slack, netns_labs
) -> None:  # type: ignore[no-untyped-def]
    echo_lessons(first="sleep 11; echo first @{word}")
    bot = make_bot(labs=_lab_01(netns_labs("slow")))
    bot.slash(ALICE, "start 1")
    step = bot.step_message(ALICE)
    clicked = time.monotonic()
    bot.click(ALICE, step, "hostnet.run")  # (waits until the job is done)

    updates = [c for c in fake_slack.of("chat.update") if c.args["ts"] == step.ts]
    texts = [c.text() for c in updates]
    still = [(c.at - clicked, int(m[1])) for c in updates if (m := STILL.search(c.text()))]
    assert "⏳ running on *lab-01*…" in texts[0], texts
    assert "✓ passed on *lab-01*" in texts[-1], texts  # the result is the last word
    assert len(still) == 2, texts  # at 3 s and at 10 s of an 11 s step
    (at1, said1), (at2, said2) = still
    assert watch.FIRST <= at1 < watch.FIRST + 1.5 and said1 == round(watch.FIRST), still
    assert at2 - at1 >= watch.EVERY - 0.1 and said2 > said1, still
    assert updates[-1].at >= clicked + 11
    posts = fake_slack.posts(thread_ts=bot.thread_of(ALICE))
    assert sum("Step 1 passed" in c.text() for c in posts) == 1, bot.explain(ALICE)


def test_a_step_that_outlives_its_limit_and_the_backstop_is_let_go(
    make_bot, echo_lessons, fake_slack, netns_labs, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(watch, "BACKSTOP", 2.0)  # (shipped: 30 s past the limit)
    echo_lessons(timeout=2)
    lab = netns_labs("stuck")
    bot = make_bot(labs=_lab_01(lab))
    bot.slash(ALICE, "start 1")
    thread = bot.thread_of(ALICE)
    step = bot.step_message(ALICE)
    [before] = bot.bot.store.sessions()

    with frozen(lab):  # the lab stops answering while the step runs
        clicked = time.monotonic()
        bot.click(ALICE, step, "hostnet.run", settle=False)
        told = _until(
            "word that the step was let go",
            lambda: next(
                (c for c in fake_slack.posts(thread_ts=thread) if "has run on lab-01" in c.text()),
                None,
            ),
            15,
            bot,
        )
        again = _until(
            "step message with live buttons",
            lambda: (m := bot.step_message(ALICE)).ts != step.ts and m,
            5,
            bot,
        )
        # Still frozen: the step's job is stuck on the lab, the learner is not.
        [now] = bot.bot.store.sessions()
        assert (now.state, now.turn, now.step_index) == ("ready", before.turn + 1, 0)
        assert now.message_ts == again.ts and fake_slack.live_buttons(again.ts)
        assert not fake_slack.live_buttons(step.ts)
        assert "⚠️ no result from *lab-01*" in fake_slack.of("chat.update")[-1].text()
        assert not bot.bot.violations(buttons=fake_slack.live_buttons)

    took = told.at - clicked
    assert 2 + 2 <= took < 2 + 2 + 2, took  # the limit, the backstop, the watch's tick
    text = told.text()
    assert re.search(r"Step 1 has run on lab-01 for [45] s, past its time limit of 2 s", text)
    assert "the lab may be overloaded or stuck" in text and "*Run again on my lab*" in text
    assert "`/hostnet stop` gives the lab back" in text
    # The run that was let go comes back once the lab does: it is said, and counts for nothing.
    bot.settle()
    late = [c.text() for c in fake_slack.posts(thread_ts=thread) if "ended after all" in c.text()]
    assert len(late) == 1 and "It does not count" in late[0], bot.explain(ALICE)
    assert bot.bot.store.sessions()[0].message_ts == again.ts
    # and the learner goes on from the step they were given back
    assert "Step 1 passed" in bot.run_step(ALICE).text()
