"""The bot's state machine: the moves the store allows, and the ones it refuses,
in SQLite and in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hostnet.bot.state import (
    PHASE_MOVES,
    STATUS_MOVES,
    IllegalTransition,
    Phase,
    Status,
    Turn,
    check_phase,
    check_status,
)
from hostnet.bot.store import BotStore


@pytest.fixture
def store(database: Path | str) -> Iterator[BotStore]:
    store = BotStore(database)
    yield store
    store.close()


@pytest.mark.parametrize("now", list(Status))
@pytest.mark.parametrize("to", list(Status))
def test_every_status_move_is_allowed_or_refused_as_the_table_says(now: Status, to: Status) -> None:
    if to in STATUS_MOVES[now]:
        check_status(1, now, to)
    else:
        with pytest.raises(IllegalTransition, match=f"status {now} cannot become {to}"):
            check_status(1, now, to)


@pytest.mark.parametrize("now", list(Phase))
@pytest.mark.parametrize("to", list(Phase))
def test_every_phase_move_is_allowed_or_refused_as_the_table_says(now: Phase, to: Phase) -> None:
    if to in PHASE_MOVES[now]:
        check_phase(1, now, to)
    else:
        with pytest.raises(IllegalTransition):
            check_phase(1, now, to)


def test_a_lesson_from_the_queue_to_the_summary(store: BotStore) -> None:
    s = store.create("U1", "C1", "host-network")
    assert s is not None and s.status is Status.QUEUED and s.phase is Phase.BEGIN
    assert store.create("U1", "C1", "dns") is None  # one open lesson per learner
    assert store.acquire(s.id, "U1", ["lab-01"]) == "lab-01"
    s = store.offer_step(s.id, 0, fresh=True)
    assert (s.status, s.phase, s.state, s.turn) == (Status.ACTIVE, Phase.STEP, Turn.READY, 1)
    claimed = store.claim(s.id, 1, Phase.STEP)
    assert claimed is not None and claimed.state is Turn.RUNNING
    assert store.claim(s.id, 1, Phase.STEP) is None  # the double click
    s = store.record_run(s.id, passed=True)
    s = store.offer_quiz(s.id, 0)
    assert (s.phase, s.turn, s.passed) == (Phase.QUIZ, 2, 1)
    assert store.claim(s.id, 1, Phase.STEP) is None  # an old button
    assert store.claim(s.id, 2, Phase.QUIZ) is not None
    s = store.record_answer(s.id, correct=True)
    s = store.finish(s.id)
    assert (s.status, s.phase, s.state, s.quiz_correct) == (
        Status.FINISHED,
        Phase.DONE,
        Turn.READY,
        1,
    )
    assert store.open_session("U1") is None


def test_illegal_moves_raise_and_change_nothing(store: BotStore) -> None:
    s = store.create("U1", "C1", "host-network")
    assert s is not None
    with pytest.raises(IllegalTransition, match="status queued cannot become finished"):
        store.finish(s.id)  # a queued learner never finished a lesson
    with pytest.raises(IllegalTransition, match="is queued: it has no turn to offer"):
        store.offer_step(s.id, 0, fresh=True)  # no step before a lab was leased
    store.acquire(s.id, "U1", ["lab-01"])
    s = store.offer_quiz(s.id, 0)
    with pytest.raises(IllegalTransition, match="phase quiz cannot become step"):
        store.offer_step(s.id, 0, fresh=True)
    s = store.fail(s.id)
    with pytest.raises(IllegalTransition, match="status failed cannot become finished"):
        store.finish(s.id)
    with pytest.raises(IllegalTransition, match="is failed: it has no turn to offer"):
        store.offer_quiz(s.id, 1)
    after = store.get(s.id)
    assert after is not None and (after.status, after.phase) == (Status.FAILED, Phase.QUIZ)


def test_ending_is_a_race_not_an_error(store: BotStore) -> None:
    s = store.create("U1", "C1", "host-network")
    assert s is not None
    assert store.end(s.id, Status.EXPIRED) is None  # only an active lesson expires
    store.acquire(s.id, "U1", ["lab-01"])  # (running: getting the lab ready)
    assert store.end(s.id, Status.STOPPED) is None  # busy: stop again later
    store.offer_step(s.id, 0, fresh=True)
    ended = store.end(s.id, Status.STOPPED)
    assert ended is not None and ended.status is Status.STOPPED and ended.state is Turn.RUNNING
    assert store.end(s.id, Status.STOPPED) is None  # over already
    with pytest.raises(IllegalTransition, match="active does not end a lesson"):
        store.end(s.id, Status.ACTIVE)
