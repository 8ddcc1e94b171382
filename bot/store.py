"""The bot's own state in SQLite, next to the engine's progress tables (same file).

* ``bot_sessions``: one lesson in one Slack thread: who, where, which lab, which
  step, and ``turn``, the number of the message whose buttons are live. A click
  carries the turn it was rendered with; :meth:`BotStore.claim` moves the row
  from ``ready`` to ``running`` only for the live turn, in one UPDATE, so a
  double click, a retried request or a click on an old message runs nothing.
  Queued learners are sessions with ``status = 'queued'`` (first come, first served).
* ``bot_leases``: which lab belongs to which session (a lab has at most one).
* ``bot_labs_down``: labs that failed, kept out of the pool for a while.
* ``bot_events``: Events API ids already handled (Slack retries; bolt does not dedupe).

Every write is its own short transaction (``BEGIN IMMEDIATE``: SQLite's
writer lock), so several threads, or a restarted bot, see one consistent state.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from hostnet.engine.errors import HostnetError

# status: queued → active → finished | stopped | expired | failed
# phase (while active): begin → step → quiz
# state: ready (buttons live) | running (a click is being handled)
OPEN = ("queued", "active")

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
"""


class StoreProblem(HostnetError):
    """The bot's database cannot be used (not a lab problem)."""


@dataclass(frozen=True)
class Session:
    id: int
    learner: str
    channel: str
    thread_ts: str | None
    lesson: str
    status: str
    phase: str
    state: str
    lab: str | None
    step_index: int
    quiz_index: int
    turn: int
    message_ts: str | None
    hints_shown: int
    failures: int
    passed: int
    skipped: int
    quiz_correct: int
    created_at: float
    started_at: float | None
    step_started_at: float | None
    last_active: float
    finished_at: float | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


_COLUMNS = ", ".join(f.name for f in fields(Session))


@dataclass(frozen=True)
class Lease:
    lab: str
    session_id: int
    learner: str
    leased_at: float


class BotStore:
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

    # -- connections ------------------------------------------------------------------

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

    # -- sessions ---------------------------------------------------------------------

    def create_session(self, learner: str, channel: str, lesson: str) -> Session | None:
        """A new queued session; None when ``learner`` already has an open one."""
        now = time.time()
        with self._write() as db:
            try:
                cur = db.execute(
                    "INSERT INTO bot_sessions (learner, channel, lesson, status, created_at,"
                    " last_active) VALUES (?, ?, ?, 'queued', ?, ?)",
                    (learner, channel, lesson, now, now),
                )
            except sqlite3.IntegrityError:  # bot_one_open_session
                return None
            session_id = cur.lastrowid
        assert session_id is not None
        return self.get(session_id)

    def get(self, session_id: int) -> Session | None:
        with self._read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM bot_sessions WHERE id = ?", (session_id,)
            ).fetchone()
        return Session(**dict(row)) if row else None

    def open_session(self, learner: str) -> Session | None:
        with self._read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM bot_sessions WHERE learner = ?"
                " AND status IN ('queued', 'active')",
                (learner,),
            ).fetchone()
        return Session(**dict(row)) if row else None

    def sessions(self, where: str = "1", params: Sequence[Any] = ()) -> list[Session]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM bot_sessions WHERE {where} ORDER BY id", params
            ).fetchall()
        return [Session(**dict(row)) for row in rows]

    def update(self, session_id: int, **values: Any) -> Session:
        assignments = ", ".join(f"{name} = ?" for name in values)
        with self._write() as db:
            db.execute(
                f"UPDATE bot_sessions SET {assignments} WHERE id = ?",
                (*values.values(), session_id),
            )
        session = self.get(session_id)
        assert session is not None
        return session

    def claim(self, session_id: int, turn: int, phase: str) -> Session | None:
        """Take the live turn of an active session (ready → running), or None.

        One UPDATE decides: of two clicks on the same button, one wins.
        """
        with self._write() as db:
            cur = db.execute(
                "UPDATE bot_sessions SET state = 'running', last_active = ?"
                " WHERE id = ? AND turn = ? AND phase = ? AND state = 'ready'"
                " AND status = 'active'",
                (time.time(), session_id, turn, phase),
            )
            won = cur.rowcount == 1
        return self.get(session_id) if won else None

    def end(
        self,
        session_id: int,
        status: str,
        *,
        idle_since: float | None = None,
    ) -> Session | None:
        """Close an open session that is not busy (→ ``status``); None if it is busy or over.

        ``idle_since``: only if it has been inactive since then (lease expiry).
        """
        sql = (
            "UPDATE bot_sessions SET status = ?, state = 'running', finished_at = ?"
            " WHERE id = ? AND status IN ('queued', 'active') AND state = 'ready'"
        )
        params: list[Any] = [status, time.time(), session_id]
        if idle_since is not None:
            sql += " AND last_active < ?"
            params.append(idle_since)
        with self._write() as db:
            won = db.execute(sql, params).rowcount == 1
        return self.get(session_id) if won else None

    def touch(self, session_id: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE bot_sessions SET last_active = ? WHERE id = ?", (time.time(), session_id)
            )

    def next_hint(self, session_id: int, turn: int) -> int | None:
        """Count one more hint shown for the live turn; its 1-based number, or None."""
        with self._write() as db:
            row = db.execute(
                "UPDATE bot_sessions SET hints_shown = hints_shown + 1, last_active = ?"
                " WHERE id = ? AND turn = ? AND phase = 'step' AND status = 'active'"
                " RETURNING hints_shown",
                (time.time(), session_id, turn),
            ).fetchone()
        return int(row[0]) if row else None

    # -- leases -----------------------------------------------------------------------

    def acquire(self, session_id: int, learner: str, labs: Sequence[str]) -> str | None:
        """Give the first free, working lab of ``labs`` to the session; None if none is."""
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT status FROM bot_sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None or row[0] != "queued":
                return None  # left the queue meanwhile
            held = {r[0] for r in db.execute("SELECT lab FROM bot_leases")}
            down = {
                r[0] for r in db.execute("SELECT lab FROM bot_labs_down WHERE until > ?", (now,))
            }
            free = [lab for lab in labs if lab not in held and lab not in down]
            if not free:
                return None
            lab = free[0]
            db.execute(
                "INSERT INTO bot_leases (lab, session_id, learner, leased_at) VALUES (?, ?, ?, ?)",
                (lab, session_id, learner, now),
            )
            db.execute(
                "UPDATE bot_sessions SET lab = ?, status = 'active', phase = 'begin',"
                " state = 'running', started_at = ?, last_active = ? WHERE id = ?",
                (lab, now, now, session_id),
            )
        return lab

    def release(self, session_id: int) -> str | None:
        """Give back the session's lab; the lab's name, or None if it held none."""
        with self._write() as db:
            row = db.execute(
                "DELETE FROM bot_leases WHERE session_id = ? RETURNING lab", (session_id,)
            ).fetchone()
        return str(row[0]) if row else None

    def leases(self) -> list[Lease]:
        with self._read() as db:
            rows = db.execute(
                "SELECT lab, session_id, learner, leased_at FROM bot_leases ORDER BY lab"
            ).fetchall()
        return [Lease(*row) for row in rows]

    def mark_down(self, lab: str, seconds: float, reason: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO bot_labs_down (lab, until, reason) VALUES (?, ?, ?)"
                " ON CONFLICT (lab) DO UPDATE SET until = excluded.until, reason = excluded.reason",
                (lab, time.time() + seconds, reason),
            )

    def labs_down(self) -> dict[str, tuple[float, str]]:
        with self._read() as db:
            rows = db.execute(
                "SELECT lab, until, reason FROM bot_labs_down WHERE until > ?", (time.time(),)
            ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    # -- events -----------------------------------------------------------------------

    def first_time(self, event_id: str) -> bool:
        """Record an Events API id; False when it was handled before (a retry)."""
        with self._write() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO bot_events (event_id, seen_at) VALUES (?, ?)",
                (event_id, time.time()),
            )
            return cur.rowcount == 1

    def forget_events(self, before: float) -> None:
        with self._write() as db:
            db.execute("DELETE FROM bot_events WHERE seen_at < ?", (before,))
