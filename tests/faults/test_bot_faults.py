"""The bot killed with SIGKILL while a step runs on a learner's lab, then started
again: the lesson continues in its thread on the same lab, the step is reported
as interrupted (not silently lost, not run again by itself), the lease holds.

The bot is a real process (``hostnet-bot --http``, hostnet.bot.testing.process),
its lab a netns lab over SSH, Slack the local stand-in of hostnet.bot.testing.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hostnet.bot.store import BotStore
from hostnet.bot.testing import evidence
from hostnet.bot.testing.fakeslack import Call, FakeSlack
from hostnet.bot.testing.harness import write_config
from hostnet.bot.testing.process import BotProcess, bot_env, until
from hostnet.bot.testing.requests import ALICE
from tests.support.faults import processes_mentioning
from tests.support.lessons import ECHO_LESSON

pytestmark = pytest.mark.docker

STEP_SECONDS = 6


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    yield slack
    slack.close()


@pytest.fixture
def bots() -> Iterator[list[BotProcess]]:
    """Every bot process started; any still running is killed afterwards."""
    started: list[BotProcess] = []
    yield started
    for bot in started:
        if bot.proc.poll() is None:
            bot.stop(signal.SIGKILL)


def db_rows(database: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read the bot's database as an operator would (its own connection)."""
    db = sqlite3.connect(database, timeout=10)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def thread_posts(fake: FakeSlack) -> tuple[str, list[Call]]:
    lesson = [c for c in fake.posts(top_level=True) if "is taking this lesson" in c.text()]
    if not lesson:
        return "", []
    assert lesson[0].ts is not None
    return lesson[0].ts, fake.posts(thread_ts=lesson[0].ts)


def step_messages(fake: FakeSlack) -> list[Call]:
    return [c for c in thread_posts(fake)[1] if "hostnet.run" in c.buttons()]


def test_bot_killed_mid_step_continues_in_its_thread_after_a_restart(
    fault_labs, fake: FakeSlack, bots, tmp_path: Path, timings
) -> None:  # type: ignore[no-untyped-def]
    lab, _engine = fault_labs()
    marks = tmp_path / "runs"  # one line per run of step 1 (on the lab: same files)
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    first = f"echo run >> {marks}; sleep {STEP_SECONDS}; echo first @{{word}}"
    (lessons / "01-echo.yaml").write_text(ECHO_LESSON.replace("FIRST_COMMAND", first))
    config = write_config(
        tmp_path,
        [{"name": lab.name, "ssh_config": str(lab.ssh_config)}],
        http={"host": "127.0.0.1", "port": 0},
    )
    database = tmp_path / "bot.sqlite"
    env = bot_env(lessons)

    def why() -> str:  # when a wait below fails: what Alice saw, the bot's row, its log
        store = BotStore(database)
        try:
            log = "".join(b.log[-20:] for b in bots)
            return f"{evidence.explain(fake, store, None, ALICE)}\n=== the bot's log\n{log}"
        finally:
            store.close()

    # A lesson in its thread; Run on step 1; the bot dies while the step runs.
    bot = BotProcess(config, fake, env)
    bots.append(bot)
    assert bot.slash(ALICE, "start 1") == 200
    [step1] = until("step 1's message", lambda: step_messages(fake), why=why)
    assert bot.click(ALICE, step1, "hostnet.run") == 200
    until("step 1 to run on the lab", lambda: marks.exists() and marks.read_text())
    time.sleep(0.5)
    assert bot.stop(signal.SIGKILL) == -signal.SIGKILL
    [(session, lab_held, state, step)] = db_rows(
        database, "SELECT id, lab, state, step_index FROM bot_sessions WHERE status = 'active'"
    )
    assert (lab_held, state, step) == (lab.name, "running", 0)
    lease = db_rows(database, "SELECT lab, session_id, learner FROM bot_leases")
    assert lease == [(lab.name, session, ALICE)]

    # Started again on the same database: the step is reported as interrupted in
    # its thread, with live buttons again, and is not run again by itself.
    restarted = time.monotonic()
    bot = BotProcess(config, fake, env)
    bots.append(bot)
    [again] = until("the step offered again", lambda: step_messages(fake)[1:], why=why)
    timings("bot restarted → interrupted step reported in its thread", time.monotonic() - restarted)
    assert "The bot restarted while step 1 was running; its result was lost." in again.text()
    interrupted = [
        c
        for c in fake.of("chat.update")
        if c.args.get("ts") == step1.ts and "interrupted" in c.text()
    ]
    assert interrupted, "the old step message still says it is running"
    # The killed run's command ends by itself on the lab (its own time limit at most).
    until("the interrupted command to end", lambda: not processes_mentioning(str(marks)), 30)
    time.sleep(1)
    assert marks.read_text() == "run\n"  # once: nothing ran it again
    assert db_rows(database, "SELECT lab, session_id, learner FROM bot_leases") == lease
    assert db_rows(database, "SELECT step FROM step_progress") == []  # no verdict was made up

    # The learner runs it again from the new message: same lab, same thread.
    assert bot.click(ALICE, again, "hostnet.run") == 200
    result = until(
        "step 1's result",
        lambda: [c for c in thread_posts(fake)[1] if "passed* on" in c.text()],
        why=why,
    )
    assert f"Step 1 passed* on {lab.name}" in result[0].text()
    assert marks.read_text() == "run\nrun\n"
    assert db_rows(database, "SELECT step, status, attempts FROM step_progress") == [
        ("first", "passed", 1)
    ]

    # Stop: the lab is cleaned and given back; the bot exits cleanly on Ctrl-C.
    assert bot.slash(ALICE, "stop") == 200
    until(
        "the lease to be released",
        lambda: not db_rows(database, "SELECT * FROM bot_leases"),
        why=why,
    )
    assert bot.stop(signal.SIGINT) == 130
    assert not processes_mentioning(str(config))
    assert "Traceback" not in "".join(bots[0].log + bot.log)
