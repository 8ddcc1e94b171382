"""The progress store, the same queries in SQLite and in PostgreSQL (a real server):
what is recorded reads back the same, and each schema is migrated forward once."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hostnet.engine.errors import EnvironmentProblem, ProgressError
from hostnet.engine.postgres import Postgres, redact_url
from hostnet.engine.progress import SCHEMA_VERSION, Progress, ProgressStore, StepProgress
from hostnet.engine.progress_pg import PostgresProgress


@pytest.fixture
def opener(database: Path | str) -> Iterator[Callable[[], Progress]]:
    """``open()``: a progress store on the test's database (as a new process would)."""
    pools: list[Postgres] = []

    def open_store() -> Progress:
        if isinstance(database, Path):
            return ProgressStore(database)
        pools.append(Postgres(database))
        return PostgresProgress(pools[-1])

    yield open_store
    for pool in pools:
        pool.close()


def test_what_is_recorded_reads_back(opener) -> None:
    store = opener()
    store.record("U1", "one", "run", "failed")
    store.record("U1", "one", "run", "passed", helped=True)
    store.record("U1", "one", "look", "skipped")
    store.record("U2", "one", "run", "passed")
    steps = opener().lesson("U1", "one")
    assert set(steps) == {"run", "look"}
    run = steps["run"]
    assert (run.status, run.attempts, run.helped) == ("passed", 2, True)
    assert isinstance(run, StepProgress) and abs(run.updated_at - time.time()) < 60

    store.save_state("U1", "one", {"snapshot": {"eth0": [1, 2]}, "began": 1.25})
    store.save_state("U1", "one", {"began": 2.5})
    assert opener().load_state("U1", "one") == {"snapshot": {"eth0": [1, 2]}, "began": 2.5}
    store.clear_state("U1", "one")
    assert store.load_state("U1", "one") == {}

    store.record_quiz("U1", "one", 1, 2, False)
    store.record_quiz("U1", "one", 1, 1, True)
    store.record_quiz("U1", "one", 2, 2, False)
    assert store.quiz("U1", "one") == {1: True, 2: False}


def test_predictions_count_each_learners_first(opener) -> None:
    store = opener()
    store.record_prediction("U1", "one", "run", 2, False)
    time.sleep(0.01)
    store.record_prediction("U1", "one", "run", 1, True)  # a second thought does not count
    store.record_prediction("U2", "one", "run", 1, True)
    store.record_prediction("U2", "one", "look", 3, True)
    store.record_prediction("U3", "two", "run", 1, True)
    latest = store.prediction("U1", "one", "run")
    assert latest is not None and (latest.choice, latest.correct) == (1, True)
    assert store.prediction("U1", "one", "run", since=time.time() + 60) is None
    assert store.prediction_rates("one") == {"run": (1, 2), "look": (1, 1)}
    assert store.prediction_rates("one", since=time.time() + 60) == {}


def test_reset_removes_a_lesson_or_everything(opener) -> None:
    store = opener()
    for lesson in ("one", "two"):
        store.record("U1", lesson, "run", "passed")
        store.record_quiz("U1", lesson, 1, 1, True)
        store.save_state("U1", lesson, {"k": 1})
        store.record_prediction("U1", lesson, "run", 1, True)
    store.record("U2", "one", "run", "passed")
    assert store.reset("U1", "one") == 4
    assert store.lesson("U1", "one") == {} and store.lesson("U1", "two")
    assert store.reset("U1") == 4
    assert store.lesson("U1", "two") == {} and store.lesson("U2", "one")


FIRST_ROUND = """
CREATE TABLE step_progress (learner TEXT NOT NULL, lesson TEXT NOT NULL, step TEXT NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
    updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (learner, lesson, step));
INSERT INTO step_progress (learner, lesson, step, status, attempts, updated_at)
    VALUES ('U1', 'one', 'run', 'passed', 3, 1.5)
"""


def test_a_first_round_database_is_migrated_forward_once(database: Path | str, opener) -> None:
    statements = [s for s in FIRST_ROUND.split(";") if s.strip()]
    if isinstance(database, Path):
        with sqlite3.connect(database) as db:
            for statement in statements:
                db.execute(statement)
    else:
        import psycopg

        with psycopg.connect(database) as pg:
            for statement in statements:
                pg.execute(statement)
    stores: list[Progress] = []
    errors: list[BaseException] = []
    go = threading.Barrier(4)

    def start() -> None:  # four processes starting at once
        go.wait()
        try:
            stores.append(opener())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(stores) == 4, errors
    assert stores[0].lesson("U1", "one")["run"] == StepProgress("run", "passed", 3, 1.5, False)
    stores[1].record_prediction("U1", "one", "run", 1, True)  # a table migration 1 made
    assert stores[2].prediction_rates("one") == {"run": (1, 1)}
    with stores[3]._connect() as db:  # type: ignore[attr-defined]
        assert stores[3]._version(db) == SCHEMA_VERSION  # type: ignore[attr-defined]


def test_a_server_that_cannot_be_reached_is_one_clear_error() -> None:
    with pytest.raises(EnvironmentProblem) as caught:
        Postgres("postgresql://nobody:s3cret@127.0.0.1:1/none")
    text = str(caught.value)
    assert text.startswith("cannot reach the database postgresql://nobody:***@127.0.0.1:1/none: ")
    assert "Connection refused" in text.splitlines()[0]
    assert "s3cret" not in text and "Traceback" not in text
    assert caught.value.hint and "PostgreSQL server up" in caught.value.hint


def test_a_server_that_went_away_is_one_clear_error(postgres_url: str) -> None:
    pool = Postgres(postgres_url)
    store = PostgresProgress(pool)
    pool.close()  # (as when the server went away: no connection to be had)
    with pytest.raises(ProgressError, match=r"^cannot use the progress database postgresql://"):
        store.record("U1", "one", "run", "passed")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@db:5432/x", "postgresql://u:***@db:5432/x"),
        ("postgresql://u@db/x?password=pw&sslmode=require", "postgresql://u@db/x?password=***&sslmode=require"),
        ("postgres://db/x", "postgres://db/x"),
    ],
)  # fmt: skip
def test_a_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown
