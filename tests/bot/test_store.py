"""The bot's store with several bot processes on one database, in SQLite and in
PostgreSQL (a real server): each store below is one replica, with its own
connections, and the races are real threads released at once.

* a step is claimed exactly once, whichever replica each click reaches;
* a lab is leased to at most one learner, and the queue is served in order;
* an Events API id is handled once across replicas;
* a gone replica's work is taken over once, and one replica at a time holds
  the janitor's lease;
* the schema is migrated forward on start, once, from the first round's.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hostnet.bot.db import SCHEMA_VERSION, StoreProblem
from hostnet.bot.replicas import Liveness, Replica, ReplicaRow
from hostnet.bot.state import Phase, Status, Turn
from hostnet.bot.store import BotStore

LABS = ["lab-01", "lab-02"]


@pytest.fixture
def stores(database: Path | str) -> Iterator[Callable[[], BotStore]]:
    """``make()``: one more replica's store on the test's database."""
    made: list[BotStore] = []

    def make() -> BotStore:
        made.append(BotStore(database))
        return made[-1]

    yield make
    for store in made:
        store.close()


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """``work(n)`` for n in range(count), each on its own thread, all released at once."""
    results: list[Any] = [None] * count
    errors: list[BaseException] = []
    go = threading.Barrier(count)

    def run(n: int) -> None:
        go.wait()
        try:
            results[n] = work(n)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def serve(store: BotStore, labs: list[str]) -> list[int]:
    """What LabPool.serve does: the queue in order, until no lab is free."""
    served = []
    for s in store.queue():
        if s.thread_ts is None:
            continue
        if store.acquire(s.id, s.learner, labs) is not None:
            served.append(s.id)
        elif len({lease.lab for lease in store.leases()}) == len(labs):
            break
    return served


def test_a_click_reaching_every_replica_at_once_is_claimed_once(stores) -> None:
    a, b = stores(), stores()
    s = a.create("U1", "C1", "echo")
    assert s is not None and a.acquire(s.id, "U1", LABS) == "lab-01"
    for turn in range(1, 6):
        live = b.offer_step(s.id, turn - 1, fresh=True)
        assert live.turn == turn
        claims = at_once(16, lambda n, turn=turn: (a, b)[n % 2].claim(s.id, turn, Phase.STEP))
        winners = [c for c in claims if c is not None]
        assert len(winners) == 1, claims
        assert winners[0].state is Turn.RUNNING
        assert winners[0].owner in (a.replica.id, b.replica.id)
        a.unclaim(s.id)


def test_a_lab_goes_to_one_learner_and_the_queue_is_served_in_order(stores) -> None:
    a, b = stores(), stores()
    sessions = []
    for n in range(20):
        s = (a, b)[n % 2].create(f"U{n:02}", "C1", "echo")
        assert s is not None
        sessions.append(a.set_thread(s.id, f"1700000000.{n:06}"))
    results = at_once(12, lambda n: serve((a, b)[n % 2], LABS))
    served = sorted(x for r in results for x in r)
    leases = {lease.lab: lease.session_id for lease in b.leases()}
    assert served == sorted(leases.values()), results  # each lease given once
    assert sorted(leases.values()) == [sessions[0].id, sessions[1].id]  # the first two
    assert [s.id for s in a.queue()] == [s.id for s in sessions[2:]]  # the rest, in order
    for s in sessions[:2]:
        got = a.get(s.id)
        assert got is not None and got.status is Status.ACTIVE and got.lab in LABS

    # A lab comes back: it goes to the head of the queue, not to whoever asks first.
    b.offer_step(sessions[0].id, 0, fresh=True)
    assert b.end(sessions[0].id, Status.STOPPED) is not None
    freed = b.release(sessions[0].id)
    newcomer = a.create("U99", "C1", "echo")
    assert newcomer is not None
    assert a.acquire(newcomer.id, "U99", LABS) is None  # eighteen learners wait before them
    assert a.acquire(sessions[3].id, "U03", LABS) is None  # one waits before them
    assert at_once(4, lambda n: serve((a, b)[n % 2], LABS)).count([sessions[2].id]) == 1
    assert {le.lab: le.session_id for le in a.leases()}[freed or ""] == sessions[2].id


def test_an_event_is_handled_once_across_replicas(stores) -> None:
    a, b = stores(), stores()
    firsts = at_once(16, lambda n: (a, b)[n % 2].first_time("Ev0RETRIED"))
    assert firsts.count(True) == 1
    assert b.first_time("Ev0OTHER") and not a.first_time("Ev0OTHER")
    a.forget_events(time.time() + 1)
    assert b.first_time("Ev0RETRIED")  # forgotten: a day later it would be new


def test_one_open_lesson_per_learner_across_replicas(stores) -> None:
    a, b = stores(), stores()
    created = at_once(8, lambda n: (a, b)[n % 2].create("U1", "C1", "echo"))
    assert len([s for s in created if s is not None]) == 1


def test_a_gone_replicas_work_is_taken_over_once(stores) -> None:
    gone, b, c = stores(), stores(), stores()
    gone.register()
    s = gone.create("U1", "C1", "echo")
    assert s is not None and gone.acquire(s.id, "U1", LABS)
    gone.offer_step(s.id, 0, fresh=True)
    claimed = gone.claim(s.id, 1, Phase.STEP)
    assert claimed is not None and claimed.owner == gone.replica.id
    [in_flight] = b.in_flight()
    assert in_flight.id == s.id
    taken = at_once(8, lambda n: (b, c)[n % 2].take_over(in_flight))
    winners = [t for t in taken if t is not None]
    assert len(winners) == 1
    assert winners[0].owner in (b.replica.id, c.replica.id)
    assert winners[0].state is Turn.RUNNING and winners[0].turn == 1
    assert b.take_over(in_flight) is None  # as read before: taken already

    # A lesson message not posted yet is work in flight too (its creator posts it).
    queued = b.create("U2", "C1", "echo")
    assert queued is not None and queued.owner == b.replica.id
    assert {x.id for x in c.in_flight()} == {s.id, queued.id}
    b.set_thread(queued.id, "1700000000.000001")
    assert {x.id for x in c.in_flight()} == {s.id}


def test_one_replica_at_a_time_holds_the_janitors_lease(stores) -> None:
    a, b = stores(), stores()
    both = {a.replica.id, b.replica.id}
    took = at_once(8, lambda n: (a, b)[n % 2].take_job("janitor", 0.3, both))
    assert len({n % 2 for n, won in enumerate(took) if won}) == 1, took  # one replica holds it
    holder, other = (a, b) if took[0] else (b, a)
    assert holder.take_job("janitor", 0.3, both)  # renewed
    assert not other.take_job("janitor", 0.3, both)
    time.sleep(0.5)
    assert other.take_job("janitor", 60, both)  # it ran out
    assert not holder.take_job("janitor", 60, both)
    assert holder.take_job("janitor", 60, {holder.replica.id})  # its holder is gone


def test_replicas_join_beat_and_leave(stores) -> None:
    a, b = stores(), stores()
    a.register()
    b.register()
    assert {r.id for r in a.replicas()} == {a.replica.id, b.replica.id}
    [row] = [r for r in b.replicas() if r.id == a.replica.id]
    assert (row.pid, row.host) == (a.replica.pid, a.replica.host)
    time.sleep(0.01)
    assert a.heartbeat()
    [later] = [r for r in b.replicas() if r.id == a.replica.id]
    assert later.seen_at > row.seen_at
    a.retire()
    assert {r.id for r in b.replicas()} == {b.replica.id}
    assert not a.heartbeat()  # it was gone: it joins again
    assert a.replica.id in {r.id for r in b.replicas()}


def _row(replica: Replica, seen_at: float, **changes: Any) -> ReplicaRow:
    values = {**replica.__dict__, **changes}
    return ReplicaRow(
        values["id"], values["host"], values["machine"], values["pid"], values["pid_start"], 0.0,
        seen_at,
    )  # fmt: skip


def test_liveness_a_process_gone_here_at_once_one_elsewhere_after_the_timeout() -> None:
    me = Replica.this_process()
    watcher = Liveness(me, timeout=0.3)
    here_dead = _row(Replica("dead", "h", me.machine, 2**22 + 7, "123"), 1.0)
    here_alive = _row(Replica("alive", "h", me.machine, me.pid, me.pid_start), 1.0)
    elsewhere = _row(Replica("far", "other", "another-machine", 1, "1"), 1.0)
    watcher.observe([here_dead, here_alive, elsewhere])
    assert watcher.gone("dead") and not watcher.gone("alive") and not watcher.gone("far")
    assert watcher.gone("missing") and watcher.gone(None) and not watcher.gone(me.id)
    time.sleep(0.2)
    watcher.observe([here_alive, elsewhere])
    time.sleep(0.2)
    assert watcher.gone("far")  # its heartbeat stood still for longer than the timeout
    watcher.observe([here_alive, _row(Replica("far", "other", "m", 1, "1"), 2.0)])
    assert not watcher.gone("far")  # it beat again
    watcher.lost_sight()  # we could not see the database: everyone gets the full time again
    time.sleep(0.4)
    watcher.observe([here_alive, _row(Replica("far", "other", "m", 1, "1"), 2.0)])
    assert not watcher.gone("far")
    assert watcher.alive() == {"alive", "far", me.id}


FIRST_ROUND = """
CREATE TABLE bot_sessions (
    id {id}, learner TEXT NOT NULL, channel TEXT NOT NULL, thread_ts TEXT,
    lesson TEXT NOT NULL, status TEXT NOT NULL, phase TEXT NOT NULL DEFAULT 'begin',
    state TEXT NOT NULL DEFAULT 'ready', lab TEXT, step_index INTEGER NOT NULL DEFAULT 0,
    quiz_index INTEGER NOT NULL DEFAULT 0, turn INTEGER NOT NULL DEFAULT 0, message_ts TEXT,
    hints_shown INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
    passed INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
    quiz_correct INTEGER NOT NULL DEFAULT 0, created_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION, step_started_at DOUBLE PRECISION,
    last_active DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION);
CREATE TABLE bot_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO bot_sessions (learner, channel, lesson, status, phase, state, lab, turn,
    created_at, last_active) VALUES ('U1', 'C1', 'echo', 'active', 'step', 'running',
    'lab-01', 3, 1.5, 2.5)
"""


def _execute_as_operator(database: Path | str, script: str) -> None:
    statements = [s for s in script.split(";") if s.strip()]
    if isinstance(database, Path):
        db = sqlite3.connect(database)
        with db:
            for statement in statements:
                db.execute(statement)
        db.close()
        return
    import psycopg

    with psycopg.connect(database) as pg:
        for statement in statements:
            pg.execute(statement)


def test_a_first_round_database_is_migrated_forward_once(database: Path | str) -> None:
    """(The first round had SQLite only; a PostgreSQL database of that schema stands
    for one made by an older release.)"""
    identity = (
        "INTEGER PRIMARY KEY AUTOINCREMENT"
        if isinstance(database, Path)
        else "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    _execute_as_operator(database, FIRST_ROUND.format(id=identity))
    opened = at_once(4, lambda n: BotStore(database))  # four processes starting at once
    try:
        [s] = opened[0].sessions()
        assert s is not None and (s.status, s.state, s.turn, s.lab) == (
            Status.ACTIVE,
            Turn.RUNNING,
            3,
            "lab-01",
        )
        assert (s.prediction, s.owner, s.claimed_at) == (None, None, None)  # the new columns
        assert [x.id for x in opened[1].in_flight()] == [s.id]  # work nobody answers for
        with opened[2].backend.read() as db:
            [(version,)] = db.execute(
                "SELECT value FROM bot_meta WHERE key = 'schema_version'"
            ).fetchall()
        assert int(version) == SCHEMA_VERSION
        fresh = opened[3].create("U2", "C1", "echo")
        assert fresh is not None and fresh.id > s.id
    finally:
        for store in opened:
            store.close()


def test_bots_starting_at_once_on_an_old_sqlite_file_all_start(tmp_path: Path) -> None:
    """Switching the file to WAL while another bot migrates it: SQLite answers "locked"
    at once there (waiting could deadlock), so the switch is asked again. Without that,
    about 3 starts in 100 failed; 50 here."""
    for attempt in range(50):
        path = tmp_path / f"state-{attempt}.sqlite"
        _execute_as_operator(path, FIRST_ROUND.format(id="INTEGER PRIMARY KEY AUTOINCREMENT"))
        for store in at_once(4, lambda n, path=path: BotStore(path)):  # type: ignore[misc]
            store.close()


def test_a_file_that_is_not_a_database_is_said_so(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_text("these are notes, not a database\n" * 100)
    with pytest.raises(StoreProblem, match="file is not a database"):
        BotStore(path)


def test_a_database_from_a_newer_bot_is_refused(database: Path | str) -> None:
    BotStore(database).close()
    _execute_as_operator(database, "UPDATE bot_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreProblem, match="newer docker-hostnet") as caught:
        BotStore(database)
    assert caught.value.hint == "please upgrade: pip install --upgrade docker-hostnet"
