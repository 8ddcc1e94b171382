"""The bot's database: its schema, the forward migrations, and the two ways to
reach it. A file path is SQLite (:class:`SqliteBackend`: WAL, one connection per
thread, short ``BEGIN IMMEDIATE`` write transactions: one writer, so several
threads, or several bot processes on one host, see one state); a URL is
PostgreSQL (``db_pg.py``: a pool and row locks, for replicas on several hosts).
The moves on it are in ``store.py``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from hostnet.engine.errors import HostnetError

# One text for both databases. {id}: the one column type they spell differently.
# DOUBLE PRECISION is SQLite's REAL (PostgreSQL's REAL keeps 6 digits of a time).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_sessions (
    id              {id},
    learner         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    thread_ts       TEXT,
    lesson          TEXT NOT NULL,
    status          TEXT NOT NULL,
    phase           TEXT NOT NULL DEFAULT 'begin',
    state           TEXT NOT NULL DEFAULT 'ready',
    lab             TEXT,
    step_index      INTEGER NOT NULL DEFAULT 0,
    quiz_index      INTEGER NOT NULL DEFAULT 0,
    turn            INTEGER NOT NULL DEFAULT 0,
    message_ts      TEXT,
    hints_shown     INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0,
    passed          INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    quiz_correct    INTEGER NOT NULL DEFAULT 0,
    created_at      DOUBLE PRECISION NOT NULL,
    started_at      DOUBLE PRECISION,
    step_started_at DOUBLE PRECISION,
    last_active     DOUBLE PRECISION NOT NULL,
    finished_at     DOUBLE PRECISION
);
CREATE UNIQUE INDEX IF NOT EXISTS bot_one_open_session
    ON bot_sessions (learner) WHERE status IN ('queued', 'active');
CREATE TABLE IF NOT EXISTS bot_leases (
    lab        TEXT PRIMARY KEY,
    session_id BIGINT NOT NULL UNIQUE,
    learner    TEXT NOT NULL,
    leased_at  DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_labs_down (
    lab    TEXT PRIMARY KEY,
    until  DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_events (
    event_id TEXT PRIMARY KEY,
    seen_at  DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
)
"""
# Forward migrations, applied in order on start; bot_meta's schema_version says
# how many a database has had (the first round's databases: none).
MIGRATIONS = [
    # 1: the prediction a learner made for the live step (None: not asked yet).
    "ALTER TABLE bot_sessions ADD COLUMN prediction INTEGER",
    # 2: replicas. Which bot process answers for a session's work in flight, and
    # since when; the processes and their heartbeats; leases on periodic jobs.
    """
    ALTER TABLE bot_sessions ADD COLUMN owner TEXT;
    ALTER TABLE bot_sessions ADD COLUMN claimed_at DOUBLE PRECISION;
    CREATE TABLE bot_replicas (
        id         TEXT PRIMARY KEY,
        host       TEXT NOT NULL,
        machine    TEXT NOT NULL,
        pid        INTEGER NOT NULL,
        pid_start  TEXT NOT NULL,
        started_at DOUBLE PRECISION NOT NULL,
        seen_at    DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE bot_jobs (
        name  TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        until DOUBLE PRECISION NOT NULL
    )
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreProblem(HostnetError):
    """The bot's database cannot be used (not a lab problem)."""


def statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


class Backend(ABC):
    """One database for the store: transactions, and what the two databases spell
    differently (the identity column; row locks, which SQLite needs not)."""

    name: str  # as messages show it (no password)
    identity: str  # the id column's type
    for_update = ""  # appended to a SELECT whose rows the transaction will change

    @abstractmethod
    def read(self) -> AbstractContextManager[Any]:
        """A connection for reads (``execute(sql, params)``, SQLite's ``?`` placeholders)."""

    @abstractmethod
    def write(self) -> AbstractContextManager[Any]:
        """One short write transaction: committed at the end, rolled back if it raises."""

    @abstractmethod
    def migrating(self) -> AbstractContextManager[Any]:
        """:meth:`write`, held by one process at a time."""

    @abstractmethod
    def close(self) -> None: ...

    def prepare(self) -> None:
        """Create the tables and migrate them forward: two bots starting at once migrate once."""
        with self.migrating() as db:
            for statement in statements(_SCHEMA.format(id=self.identity)):
                db.execute(statement)
            row = db.execute("SELECT value FROM bot_meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreProblem(
                    f"the bot database {self.name} was written by a newer docker-hostnet "
                    f"(schema {version}; this one knows {SCHEMA_VERSION})",
                    hint="please upgrade: pip install --upgrade docker-hostnet",
                )
            for migration in MIGRATIONS[version:]:
                for statement in statements(migration):
                    db.execute(statement)
            db.execute(
                "INSERT INTO bot_meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )


_BUSY_TIMEOUT = 10.0  # seconds SQLite waits for another connection's lock


class SqliteBackend(Backend):
    identity = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        self._lock = threading.Lock()  # one writer at a time within this process
        self._local = threading.local()  # one connection per thread, reused
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._problem(exc) from exc
        with self._lock:
            self._use_wal()

    def _use_wal(self) -> None:
        """WAL mode: readers never wait for the writer. Switching a file to it needs
        the file to itself; when another bot holds a write there (a migration of the
        file it is switching too), SQLite says "locked" at once rather than wait,
        since waiting could deadlock. So it is asked again, within the busy timeout."""
        db = self._connect()
        deadline = time.monotonic() + _BUSY_TIMEOUT
        while True:
            try:
                db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.Error as exc:  # (not a database, read-only, …: said as before)
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise self._problem(exc) from exc
            time.sleep(0.01)

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        try:
            db = sqlite3.connect(
                self.path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=True
            )
            # WAL + NORMAL: no fsync per commit; a crash of the bot loses nothing,
            # a power cut at most the last moments.
            db.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise self._problem(exc) from exc
        self._local.db = db
        return db

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connect()
        except sqlite3.Error as exc:
            raise self._problem(exc) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._problem(exc) from exc

    def migrating(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.write()  # BEGIN IMMEDIATE: SQLite's one writer

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads)."""
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _problem(self, exc: Exception) -> StoreProblem:
        return StoreProblem(
            f"cannot use the bot database {self.path}: {exc}",
            hint="check that the file is writable; `database:` in the bot's configuration names it",
        )
