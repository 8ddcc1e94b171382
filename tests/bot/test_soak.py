"""The soak test (issue 16): 20 workshop rounds of 8 learners, one bot throughout.

Each round, 8 learners take lesson 1 at the same time, each on a netns lab of
their own over SSH, clicking as soon as their next message is offered (the
real bolt App, the stand-in for Slack's Web API). After every round no learner
is stuck (each read their summary), the invariants of the bot's state hold,
and every lab is free again. A learner who waits in vain fails the round with
the evidence: their thread, their session row, their lab's last commands.
"""

from __future__ import annotations

import time

import pytest

from hostnet.bot.testing.workshop import learners, play_round, stuck
from hostnet.engine.loader import find_lesson

pytestmark = pytest.mark.docker
ROUNDS = 20
SIZE = 8


def test_twenty_workshop_rounds_of_eight_leave_no_learner_stuck(
    make_bot, fake_slack, netns_labs, standin_image: str
) -> None:  # type: ignore[no-untyped-def]
    labs = [netns_labs("soak") for _ in range(SIZE)]
    bot = make_bot(
        labs=[{"name": lab.name, "ssh_config": str(lab.ssh_config)} for lab in labs],
        allowed_users=["*"],
        variables={"image": standin_image},
    )
    quiz = [q.answer for q in find_lesson("1").quiz]
    users = learners(SIZE)
    walls = []
    for number in range(1, ROUNDS + 1):
        began = time.monotonic()
        players = play_round(bot, fake_slack, users, quiz)
        walls.append(time.monotonic() - began)
        problems = stuck(bot, fake_slack, players)
        assert not problems, f"round {number} of {ROUNDS}:\n" + "\n".join(problems)
    finished = [s for s in bot.bot.store.sessions() if s.status == "finished"]
    assert len(finished) == ROUNDS * SIZE
    assert len(set(bot.labs.opened)) == SIZE  # one connection per lab, all rounds long
    print(
        f"soak: {ROUNDS} rounds of {SIZE}: {sum(walls):.1f} s in rounds "
        f"(slowest {max(walls):.1f} s), 0 stuck learners"
    )
