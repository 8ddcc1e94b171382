"""The bot's SQLite database: one file, WAL, one connection per thread, and
short write transactions (``BEGIN IMMEDIATE``: SQLite's writer lock), so several
threads, or several bot processes on one host, see one consistent state.
The schema lives here; the moves on it in ``store.py``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hostnet.engine.errors import HostnetError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bot_sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    created_at      REAL NOT NULL,
    started_at      REAL,
    step_started_at REAL,
    last_active     REAL NOT NULL,
    finished_at     REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS bot_one_open_session
    ON bot_sessions (learner) WHERE status IN ('queued', 'active');
CREATE TABLE IF NOT EXISTS bot_leases (
    lab        TEXT PRIMARY KEY,
    session_id INTEGER NOT NULL UNIQUE,
    learner    TEXT NOT NULL,
    leased_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_labs_down (
    lab    TEXT PRIMARY KEY,
    until  REAL NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_events (
    event_id TEXT PRIMARY KEY,
    seen_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# Forward migrations, applied in order on start; bot_meta's schema_version says
# how many a database has had (the first round's databases: none).
MIGRATIONS = [
    # 1: the prediction a learner made for the live step (None: not asked yet).
    "ALTER TABLE bot_sessions ADD COLUMN prediction INTEGER",
]
SCHEMA_VERSION = len(MIGRATIONS)


class StoreProblem(HostnetError):
    """The bot's database cannot be used (not a lab problem)."""


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # one writer at a time within this process
        self._local = threading.local()  # one connection per thread, reused
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._problem(exc) from exc
        with self._lock, self._read() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            db.executescript(_SCHEMA)  # (it commits by itself)
        self._migrate()

    def _migrate(self) -> None:
        with self._write() as db:  # one writer: two bots starting at once migrate once
            row = db.execute("SELECT value FROM bot_meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreProblem(
                    f"the bot database {self.path} was written by a newer docker-hostnet "
                    f"(schema {version}; this one knows {SCHEMA_VERSION})",
                    hint="please upgrade: pip install --upgrade docker-hostnet",
                )
            for statement in MIGRATIONS[version:]:
                db.execute(statement)
            db.execute(
                "INSERT INTO bot_meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )

    # == connections ====================================================================

    def _connect(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is not None:
            return db
        try:
            db = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=True
            )
            # WAL + NORMAL: no fsync per commit; a crash of the bot loses nothing,
            # a power cut at most the last moments.
            db.execute("PRAGMA synchronous=NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise self._problem(exc) from exc
        db.row_factory = sqlite3.Row
        self._local.db = db
        return db

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self._connect()
        except sqlite3.Error as exc:
            raise self._problem(exc) from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
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
