"""Two real bot processes (``hostnet-bot --http``, the stand-in for Slack's Web API)
on one PostgreSQL database: one truth, whichever replica a request reaches.

The labs are local (the echo lesson's harmless commands run on this host), so
what is tested is the bot's shared state: leases, the queue, claims, taking
over a gone replica's work, and a database that restarts.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hostnet.bot.store import BotStore
from hostnet.bot.testing import evidence
from hostnet.bot.testing.fakeslack import Call, FakeSlack
from hostnet.bot.testing.harness import write_config
from hostnet.bot.testing.process import BotProcess, bot_env, until
from hostnet.bot.testing.requests import ALICE, BOB
from tests.support import postgres
from tests.support.env import unavailable
from tests.support.lessons import ECHO_LESSON

Replicas = Callable[..., list[BotProcess]]


@pytest.fixture
def replicas(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Callable[..., list[BotProcess]]]:
    """``replicas(database, labs=2, first=…)``: that many bot processes on one
    database, with ``labs`` local labs and the echo lesson (``first``: step 1's
    command). Any still running afterwards is killed."""
    started: list[BotProcess] = []

    def start(
        database: str, *, count: int = 2, labs: int = 2, first: str = "echo first @{word}"
    ) -> list[BotProcess]:
        lessons = tmp_path / "lessons"
        lessons.mkdir(exist_ok=True)
        (lessons / "01-echo.yaml").write_text(ECHO_LESSON.replace("FIRST_COMMAND", first))
        config = write_config(
            tmp_path,
            [{"name": f"lab-{n:02}", "local": True} for n in range(1, labs + 1)],
            database=database,
            allowed_users=["*"],
            http={"host": "127.0.0.1", "port": 0},
        )
        made = [BotProcess(config, fake_slack, bot_env(lessons)) for _ in range(count)]
        started.extend(made)
        return made

    yield start
    for bot in started:
        if bot.alive():
            bot.stop(signal.SIGKILL)


def thread_of(fake: FakeSlack, user: str) -> str | None:
    for call in reversed(fake.posts(top_level=True)):
        if f"<@{user}> is taking this lesson" in call.text():
            return call.ts
    return None


def in_thread(fake: FakeSlack, user: str) -> list[Call]:
    ts = thread_of(fake, user)
    return [] if ts is None else fake.posts(thread_ts=ts)


def step_message(fake: FakeSlack, user: str, number: int) -> Call | None:
    found = [
        c
        for c in in_thread(fake, user)
        if "hostnet.run" in c.buttons() and f"Step {number} of 2" in c.text()
    ]
    return found[-1] if found else None


def results(fake: FakeSlack, user: str, number: int) -> list[Call]:
    return [c for c in in_thread(fake, user) if f"*Step {number} passed* on" in c.text()]


def explain(
    fake: FakeSlack, database: str, bots: list[BotProcess], *users: str
) -> Callable[[], str]:
    def why() -> str:
        store = BotStore(database)
        try:
            told = "\n".join(evidence.explain(fake, store, None, user) for user in users)
        finally:
            store.close()
        logs = "\n".join(f"=== replica {n}'s log\n{b.tail()}" for n, b in enumerate(bots))
        return f"{told}\n{logs}"

    return why


def finish(fake: FakeSlack, bots: list[BotProcess], user: str, why: Callable[[], str]) -> None:
    """Answer the knowledge check (alternating replicas) until the lesson is done."""
    for n, (question, answer) in enumerate([(1, 1), (2, 2)]):
        call = until(
            f"question {question}",
            lambda q=question: [
                c
                for c in in_thread(fake, user)
                if f"Knowledge check {q} of 2" in c.text() and c.buttons()
            ],
            why=why,
        )[-1]
        assert bots[n % len(bots)].click(user, call, f"hostnet.quiz.{answer}") == 200
    until(
        "the lesson's summary",
        lambda: any("Lesson 1 done" in c.text() for c in in_thread(fake, user)),
        why=why,
    )


def at_once(actions: list[Callable[[], Any]]) -> list[Any]:
    """Run every action in a thread of its own, released together; their results."""
    go = threading.Barrier(len(actions))
    out: list[Any] = [None] * len(actions)

    def run(n: int) -> None:
        go.wait()
        try:
            out[n] = actions[n]()
        except Exception as exc:  # (the assertion on the results shows it)
            out[n] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_20_learners_at_once_across_two_replicas_2_labs_the_queue_in_order(
    replicas, postgres_url, fake_slack
) -> None:
    a, b = bots = replicas(postgres_url, labs=2)
    users = [f"U0LEARN{n:02}" for n in range(20)]
    why = explain(fake_slack, postgres_url, bots, *users)

    statuses = at_once(
        [lambda u=u, n=n: bots[n % 2].slash(u, "start 1") for n, u in enumerate(users)]
    )
    assert statuses == [200] * 20

    def heard(user: str) -> bool:
        return any(
            "in the queue" in c.text() or "hostnet.run" in c.buttons()
            for c in in_thread(fake_slack, user)
        )

    until("every learner to hear back", lambda: all(heard(u) for u in users), why=why)
    leases = postgres.rows(postgres_url, "SELECT lab, learner FROM bot_leases ORDER BY lab")
    assert [lab for lab, _ in leases] == ["lab-01", "lab-02"], why()
    with_labs = [learner for _, learner in leases]
    queued = [
        str(r[0])
        for r in postgres.rows(
            postgres_url, "SELECT learner FROM bot_sessions WHERE status = 'queued' ORDER BY id"
        )
    ]
    assert len(queued) == 18 and not set(queued) & set(with_labs)
    for user in with_labs:
        assert step_message(fake_slack, user, 1) is not None, why()
    positions = {}
    for user in queued:
        [note] = [c.text() for c in in_thread(fake_slack, user) if "in the queue" in c.text()]
        positions[user] = int(re.search(r"you are number (\d+) in the queue", note)[1])  # type: ignore[index]
    assert [positions[u] for u in queued] == list(range(1, 19)), (
        positions
    )  # first come, first served

    # The two with labs leave, one on each replica: the first two in the queue get the labs.
    assert a.slash(with_labs[0], "stop") == 200
    assert b.slash(with_labs[1], "stop") == 200
    until(
        "the queue's first two to be served",
        lambda: (
            {r[0] for r in postgres.rows(postgres_url, "SELECT learner FROM bot_leases")}
            == set(queued[:2])
        ),
        why=why,
    )
    for user in queued[:2]:
        until(f"{user}'s step 1", lambda u=user: step_message(fake_slack, u, 1), why=why)
    assert (
        len(postgres.rows(postgres_url, "SELECT id FROM bot_sessions WHERE status = 'queued'"))
        == 16
    )
    for user in queued[2:]:
        assert step_message(fake_slack, user, 1) is None


def test_a_double_click_sent_to_both_replicas_runs_the_step_once(
    replicas, postgres_url, fake_slack, tmp_path: Path
) -> None:
    marks = tmp_path / "runs"
    learners = [ALICE, BOB, "U0LEARN03", "U0LEARN04"]
    bots = replicas(
        postgres_url, labs=4, first=f"echo run >> {marks}; sleep 1; echo first @{{word}}"
    )
    why = explain(fake_slack, postgres_url, bots, *learners)
    for n, user in enumerate(learners):
        assert bots[n % 2].slash(user, "start 1") == 200
    steps = {
        u: until(f"{u}'s step 1", lambda u=u: step_message(fake_slack, u, 1), why=why)
        for u in learners
    }

    # Each learner's click reaches both replicas at the same moment (Slack's retry,
    # or a double click balanced across them).
    clicks = [
        lambda u=u, bot=bot: bot.click(u, steps[u], "hostnet.run") for u in learners for bot in bots
    ]
    assert at_once(clicks) == [200] * 8
    for user in learners:
        until(f"{user}'s result", lambda u=user: results(fake_slack, u, 1), why=why)
    time.sleep(1.5)  # a second run, had there been one, would have ended by now
    assert marks.read_text() == "run\n" * 4, why()
    for user in learners:
        assert len(results(fake_slack, user, 1)) == 1, why()
    rows = postgres.rows(
        postgres_url, "SELECT step, attempts FROM step_progress WHERE status = 'passed'"
    )
    assert sorted(rows) == [("first", 1)] * 4


def test_a_replica_killed_mid_step_the_other_reports_it_interrupted_and_keeps_serving(
    replicas, postgres_url, fake_slack, tmp_path: Path
) -> None:
    marks = tmp_path / "runs"
    a, b = bots = replicas(
        postgres_url, labs=2, first=f"echo run >> {marks}; sleep 4; echo first @{{word}}"
    )
    why = explain(fake_slack, postgres_url, bots, ALICE, BOB)
    assert a.slash(ALICE, "start 1") == 200
    step1 = until("Alice's step 1", lambda: step_message(fake_slack, ALICE, 1), why=why)
    assert a.click(ALICE, step1, "hostnet.run") == 200
    until("step 1 to run", lambda: marks.exists() and marks.read_text())
    assert a.stop(signal.SIGKILL) == -signal.SIGKILL
    killed = time.monotonic()

    # The other replica sees the process gone, reports the step interrupted in its
    # thread and offers it again; it keeps serving meanwhile.
    assert b.slash(BOB, "start 1") == 200
    until(
        "Bob's step 1 from the surviving replica", lambda: step_message(fake_slack, BOB, 1), why=why
    )
    again = until(
        "Alice's step offered again",
        lambda: [
            c
            for c in in_thread(fake_slack, ALICE)
            if "The bot process that ran it stopped while step 1 was running" in c.text()
        ],
        timeout=30,
        why=why,
    )[-1]
    print(
        f"replica killed → step reported interrupted by the other: {time.monotonic() - killed:.1f} s"
    )
    assert "hostnet.run" in again.buttons()
    old = [c for c in fake_slack.of("chat.update") if c.args.get("ts") == step1.ts]
    assert old and "interrupted" in old[-1].text(), "the old step message still says it runs"
    time.sleep(4)  # the killed run's command has ended by now
    assert marks.read_text() == "run\n"  # not run again by itself

    assert b.click(ALICE, again, "hostnet.run") == 200
    until("Alice's step 1 result", lambda: results(fake_slack, ALICE, 1), timeout=30, why=why)
    assert marks.read_text() == "run\nrun\n"
    leases = postgres.rows(postgres_url, "SELECT lab, learner FROM bot_leases ORDER BY lab")
    assert sorted(learner for _, learner in leases) == sorted([ALICE, BOB])
    assert b.alive()
    replicas_left = postgres.rows(postgres_url, "SELECT pid FROM bot_replicas")
    assert replicas_left == [(b.proc.pid,)], "the killed replica is forgotten"


@pytest.fixture
def private_postgres() -> Iterator[postgres.PrivateServer]:
    """A PostgreSQL server of this test's own, which it may stop and start."""
    if reason := postgres.PrivateServer.missing():
        unavailable(reason)
    with postgres.private_server() as server:
        yield server


def test_the_database_restarted_mid_lesson_a_clear_error_then_the_lesson_goes_on(
    replicas, private_postgres, fake_slack
) -> None:
    url = private_postgres.url
    a, b = bots = replicas(url, labs=2)
    why = explain(fake_slack, url, bots, ALICE)
    assert a.slash(ALICE, "start 1") == 200
    step1 = until("step 1", lambda: step_message(fake_slack, ALICE, 1), why=why)
    assert b.click(ALICE, step1, "hostnet.run") == 200
    step2 = until("step 2", lambda: step_message(fake_slack, ALICE, 2), why=why)

    private_postgres.stop()
    assert a.click(ALICE, step2, "hostnet.run") == 200  # acked: Slack shows no error
    told = until(
        "a reply about the database",
        lambda: [t for t in fake_slack.replies_to(ALICE) if "database" in t],
        timeout=30,
    )
    # The learner is told to try again; the database's name and the driver's
    # reason go to the operator's log, without a traceback.
    assert "cannot use its database right now" in told[-1], told
    assert "cannot use the bot database" in a.tail(200) and "Traceback" not in a.tail(200)
    assert not results(fake_slack, ALICE, 2)

    private_postgres.start()
    # The same button works again once the database is back, on either replica.
    assert b.click(ALICE, step2, "hostnet.run") == 200
    until("step 2's result", lambda: results(fake_slack, ALICE, 2), timeout=30, why=why)
    finish(fake_slack, bots, ALICE, why)
    assert postgres.rows(url, "SELECT status FROM bot_sessions") == [("finished",)]
    assert sorted(postgres.rows(url, "SELECT step, status FROM step_progress")) == [
        ("first", "passed"),
        ("second", "passed"),
    ]
    until("the lab to be given back", lambda: not postgres.rows(url, "SELECT * FROM bot_leases"))
    assert a.alive() and b.alive()
