"""Progress that survives restarts: one SQLite file per user for the CLI; for the bot,
its database (the same SQLite file, or PostgreSQL: ``progress_pg.py``).

:class:`Progress` holds every query, written once for both databases;
:class:`ProgressStore` is the SQLite file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import ProgressError

Status = Literal["passed", "failed", "skipped"]

# Each migration brings a database from the version before it to its own (a file
# of the first round is 0); SQLite keeps the version as its user_version.
# (DOUBLE PRECISION: SQLite's REAL; PostgreSQL's REAL would keep 6 digits of a time.)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS step_progress (
    learner    TEXT NOT NULL,
    lesson     TEXT NOT NULL,
    step       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'skipped')),
    attempts   INTEGER NOT NULL DEFAULT 1,
    updated_at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (learner, lesson, step)
);
CREATE TABLE IF NOT EXISTS lesson_state (
    learner    TEXT NOT NULL,
    lesson     TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,  -- JSON
    PRIMARY KEY (learner, lesson, key)
);
CREATE TABLE IF NOT EXISTS quiz_answers (
    learner    TEXT NOT NULL,
    lesson     TEXT NOT NULL,
    question   INTEGER NOT NULL,
    choice     INTEGER NOT NULL,
    correct    INTEGER NOT NULL,
    answered_at DOUBLE PRECISION NOT NULL
);
"""
_MIGRATIONS = [
    # 1: "solved with help" (a challenge run by the tool, or its solution shown),
    # and predictions made before a step.
    """
    ALTER TABLE step_progress ADD COLUMN helped INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE predictions (
        learner    TEXT NOT NULL,
        lesson     TEXT NOT NULL,
        step       TEXT NOT NULL,
        choice     INTEGER NOT NULL,
        correct    INTEGER NOT NULL,
        predicted_at DOUBLE PRECISION NOT NULL
    );
    """,
]
SCHEMA_VERSION = len(_MIGRATIONS)


def default_path() -> Path:
    """``$HOSTNET_PROGRESS_DB``, else ``$XDG_STATE_HOME/docker-hostnet/progress.sqlite``."""
    if explicit := os.environ.get("HOSTNET_PROGRESS_DB"):
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "docker-hostnet" / "progress.sqlite"


@dataclass(frozen=True)
class StepProgress:
    step: str
    status: Status
    attempts: int
    updated_at: float
    helped: bool = False  # passed with help: the tool ran a challenge, or its solution was shown


@dataclass(frozen=True)
class Prediction:
    choice: int  # 1-based
    correct: bool


class Progress(ABC):
    """What is kept of learners' lessons; every query is here, once for both databases.

    A subclass provides :meth:`_connect` (one transaction: committed when the
    block ends, rolled back if it raises) and where the schema's version lives.
    """

    name: str  # the database, as messages name it

    def _prepare(self) -> None:
        """Create the tables, then migrate them forward (one process at a time)."""
        with self._connect() as db:
            self._create(db)
            version = self._version(db)
        if version > SCHEMA_VERSION:
            raise ProgressError(
                f"the progress database {self.name} was written by a newer docker-hostnet "
                f"(schema {version}; this one knows {SCHEMA_VERSION})",
                hint="please upgrade: pip install --upgrade docker-hostnet",
            )
        if version == SCHEMA_VERSION:
            return
        with self._migrating() as db:
            for number in range(self._version(db), SCHEMA_VERSION):  # (again: under the lock)
                for statement in _MIGRATIONS[number].split(";"):
                    if statement.strip():
                        db.execute(statement)
                self._set_version(db, number + 1)

    def _create(self, db: Any) -> None:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)

    @abstractmethod
    def _connect(self) -> AbstractContextManager[Any]:
        """A connection inside one transaction (``execute``, ``executemany``)."""

    @abstractmethod
    def _migrating(self) -> AbstractContextManager[Any]:
        """:meth:`_connect`, held by one process at a time."""

    @abstractmethod
    def _version(self, db: Any) -> int: ...

    @abstractmethod
    def _set_version(self, db: Any, version: int) -> None: ...

    def close(self) -> None:  # noqa: B027  (a hook: only PostgreSQL's pool needs it)
        """Give back what the store holds open (nothing, for a SQLite file)."""

    def record(
        self, learner: str, lesson: str, step: str, status: Status, *, helped: bool = False
    ) -> None:
        with self._connect() as db:
            db.execute(
                """INSERT INTO step_progress
                       (learner, lesson, step, status, attempts, updated_at, helped)
                   VALUES (?, ?, ?, ?, 1, ?, ?)
                   ON CONFLICT (learner, lesson, step) DO UPDATE SET
                       status = excluded.status,
                       attempts = step_progress.attempts + 1,
                       updated_at = excluded.updated_at,
                       helped = excluded.helped""",
                (learner, lesson, step, status, time.time(), int(helped)),
            )

    def save_state(self, learner: str, lesson: str, values: dict[str, Any]) -> None:
        """Keep what a later check needs (snapshots, when a step began) across runs."""
        with self._connect() as db:
            db.executemany(
                "INSERT INTO lesson_state (learner, lesson, key, value) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (learner, lesson, key) DO UPDATE SET value = excluded.value",
                [(learner, lesson, key, json.dumps(value)) for key, value in values.items()],
            )

    def clear_state(self, learner: str, lesson: str) -> None:
        """Forget what a go at the lesson kept (a new go begins); progress stays."""
        with self._connect() as db:
            db.execute(
                "DELETE FROM lesson_state WHERE learner = ? AND lesson = ?", (learner, lesson)
            )

    def load_state(self, learner: str, lesson: str) -> dict[str, Any]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT key, value FROM lesson_state WHERE learner = ? AND lesson = ?",
                (learner, lesson),
            ).fetchall()
        return {key: json.loads(value) for key, value in rows}

    def record_quiz(
        self, learner: str, lesson: str, question: int, choice: int, correct: bool
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO quiz_answers (learner, lesson, question, choice, correct, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (learner, lesson, question, choice, int(correct), time.time()),
            )

    def quiz(self, learner: str, lesson: str) -> dict[int, bool]:
        """Question number → whether the latest answer was right."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT question, correct FROM quiz_answers WHERE learner = ? AND lesson = ?"
                " ORDER BY answered_at",
                (learner, lesson),
            ).fetchall()
        return {int(q): bool(c) for q, c in rows}

    def lesson(self, learner: str, lesson: str) -> dict[str, StepProgress]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT step, status, attempts, updated_at, helped FROM step_progress "
                "WHERE learner = ? AND lesson = ?",
                (learner, lesson),
            ).fetchall()
        return {
            row[0]: StepProgress(row[0], row[1], int(row[2]), float(row[3]), bool(row[4]))
            for row in rows
        }

    def record_prediction(
        self, learner: str, lesson: str, step: str, choice: int, correct: bool
    ) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT INTO predictions (learner, lesson, step, choice, correct, predicted_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (learner, lesson, step, choice, int(correct), time.time()),
            )

    def prediction(
        self, learner: str, lesson: str, step: str, *, since: float = 0.0
    ) -> Prediction | None:
        """The learner's latest prediction for ``step`` made since ``since``."""
        with self._connect() as db:
            row = db.execute(
                "SELECT choice, correct FROM predictions WHERE learner = ? AND lesson = ?"
                " AND step = ? AND predicted_at >= ? ORDER BY predicted_at DESC LIMIT 1",
                (learner, lesson, step, since),
            ).fetchone()
        return Prediction(int(row[0]), bool(row[1])) if row else None

    def prediction_rates(self, lesson: str, *, since: float = 0.0) -> dict[str, tuple[int, int]]:
        """Step → (learners who predicted right, learners who predicted), each
        learner's first prediction counting (what they thought before they saw)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT step, SUM(correct), COUNT(*) FROM ("
                "  SELECT step, correct, ROW_NUMBER() OVER"
                "    (PARTITION BY step, learner ORDER BY predicted_at) AS nth"
                "  FROM predictions WHERE lesson = ? AND predicted_at >= ?"
                ") AS firsts WHERE nth = 1 GROUP BY step",
                (lesson, since),
            ).fetchall()
        return {str(step): (int(right), int(total)) for step, right, total in rows}

    def reset(self, learner: str, lesson: str | None = None) -> int:
        with self._connect() as db:
            removed = 0
            for table in ("step_progress", "quiz_answers", "lesson_state", "predictions"):
                if lesson is None:
                    cur = db.execute(f"DELETE FROM {table} WHERE learner = ?", (learner,))
                else:
                    cur = db.execute(
                        f"DELETE FROM {table} WHERE learner = ? AND lesson = ?", (learner, lesson)
                    )
                removed += cur.rowcount
            return removed


class ProgressStore(Progress):
    """The SQLite file: a connection per call, SQLite's own locking between processes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.name = str(self.path)
        self._prepare()

    @contextmanager
    def _migrating(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer: two processes starting at once migrate once
            yield db

    def _version(self, db: sqlite3.Connection) -> int:
        return int(db.execute("PRAGMA user_version").fetchone()[0])

    def _set_version(self, db: sqlite3.Connection, version: int) -> None:
        db.execute(f"PRAGMA user_version = {int(version)}")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=5)
        except (OSError, sqlite3.Error) as exc:
            raise self._problem(exc) from exc
        try:
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        except sqlite3.Error as exc:
            raise self._problem(exc) from exc
        finally:
            db.close()

    def _problem(self, exc: Exception) -> ProgressError:
        return ProgressError(
            f"cannot use the progress database {self.path}: {exc}",
            hint="check that the file is writable and no other program holds it; "
            "HOSTNET_PROGRESS_DB selects another file",
        )
