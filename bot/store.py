"""The bot's own state in SQLite, next to the engine's progress tables (same file).

All of the bot's SQL is here, behind named methods, each one move of the state
machine in ``state.py`` (an illegal move raises
:class:`~hostnet.bot.state.IllegalTransition`):

* ``bot_sessions``: one lesson in one Slack thread. :meth:`BotStore.claim` moves
  the row from ``ready`` to ``running`` only for the live turn, in one UPDATE,
  so a double click, a retried request or a click on an old message runs
  nothing. Queued learners are sessions with status ``queued`` (first come,
  first served).
* ``bot_leases``: which lab belongs to which session (a lab has at most one).
* ``bot_labs_down``: labs that failed, kept out of the pool for a while.
* ``bot_events``: Events API ids already handled (Slack retries; bolt does not dedupe).

Every move is one short transaction (see ``db.py``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from .db import Database, StoreProblem
from .state import (
    STATUS_MOVES,
    IllegalTransition,
    Lease,
    Phase,
    Session,
    Status,
    Turn,
    check_phase,
    check_status,
)

_COLUMNS = ", ".join(f.name for f in fields(Session))
_OPEN_SQL = "status IN ('queued', 'active')"


class BotStore(Database):
    # == sessions: reads ================================================================

    def get(self, session_id: int) -> Session | None:
        rows = self._sessions("id = ?", (session_id,))
        return rows[0] if rows else None

    def open_session(self, learner: str) -> Session | None:
        rows = self._sessions(f"learner = ? AND {_OPEN_SQL}", (learner,))
        return rows[0] if rows else None

    def sessions(self) -> list[Session]:
        return self._sessions("1")

    def queue(self) -> list[Session]:
        """Learners waiting for a lab, longest first."""
        return self._sessions("status = 'queued'")

    def queue_position(self, session_id: int) -> int:
        return len(self._sessions("status = 'queued' AND id <= ?", (session_id,)))

    def unposted(self) -> list[Session]:
        """Open sessions whose lesson message never reached Slack."""
        return self._sessions(f"{_OPEN_SQL} AND thread_ts IS NULL")

    def busy(self) -> list[Session]:
        """Sessions with a click or a job under way (after a crash: cut short)."""
        return self._sessions("state = 'running'")

    def idle(self, since: float) -> list[Session]:
        """Active sessions waiting on the learner (not the quiz) since before ``since``."""
        return self._sessions(
            "status = 'active' AND phase IN ('begin', 'step') AND state = 'ready'"
            " AND last_active < ?",
            (since,),
        )

    def recent(self, since: float) -> list[Session]:
        """Open sessions, and those created since ``since`` (the instructors' table)."""
        return self._sessions(f"{_OPEN_SQL} OR created_at > ?", (since,))

    def _sessions(self, where: str, params: Sequence[Any] = ()) -> list[Session]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM bot_sessions WHERE {where} ORDER BY id", params
            ).fetchall()
        return [Session(**dict(row)) for row in rows]

    # == sessions: moves ================================================================

    def create(self, learner: str, channel: str, lesson: str) -> Session | None:
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
            assert cur.lastrowid is not None
            session_id = cur.lastrowid
        return self._get(session_id)

    def set_thread(self, session_id: int, thread_ts: str) -> Session:
        """The lesson message was posted: its thread is the lesson's."""
        return self._set(session_id, thread_ts=thread_ts)

    def claim(self, session_id: int, turn: int, phase: Phase) -> Session | None:
        """Take the live turn of an active session (ready → running), or None.

        One UPDATE decides: of two clicks on the same button, one wins.
        """
        with self._write() as db:
            won = (
                db.execute(
                    "UPDATE bot_sessions SET state = 'running', last_active = ?"
                    " WHERE id = ? AND turn = ? AND phase = ? AND state = 'ready'"
                    " AND status = 'active'",
                    (time.time(), session_id, turn, phase),
                ).rowcount
                == 1
            )
        return self.get(session_id) if won else None

    def unclaim(self, session_id: int) -> Session:
        """Work on the session is over without a new turn (running → ready)."""
        return self._set(session_id, state=Turn.READY)

    def offer_step(self, session_id: int, index: int, *, fresh: bool) -> Session:
        """Step ``index`` gets a new turn with live buttons (``fresh``: a new step,
        not another try at the same one)."""
        now = time.time()
        values: dict[str, Any] = {"step_index": index, "last_active": now}
        if fresh:
            values.update(hints_shown=0, failures=0, step_started_at=now, prediction=None)
        return self._next_turn(session_id, Phase.STEP, values)

    def offer_quiz(self, session_id: int, index: int) -> Session:
        return self._next_turn(
            session_id, Phase.QUIZ, {"quiz_index": index, "last_active": time.time()}
        )

    def predict(self, session_id: int, turn: int, choice: int) -> Session | None:
        """The learner's prediction for the live step, taken once; None when the
        turn is not live or a prediction was made already (a double click)."""
        with self._write() as db:
            won = (
                db.execute(
                    "UPDATE bot_sessions SET prediction = ?, last_active = ?"
                    " WHERE id = ? AND turn = ? AND phase = 'step' AND state = 'ready'"
                    " AND status = 'active' AND prediction IS NULL",
                    (choice, time.time(), session_id, turn),
                ).rowcount
                == 1
            )
        return self.get(session_id) if won else None

    def set_message(self, session_id: int, message_ts: str) -> Session:
        """The message with the live turn's buttons."""
        return self._set(session_id, message_ts=message_ts)

    def record_run(self, session_id: int, *, passed: bool) -> Session:
        column = "passed" if passed else "failures"
        return self._bump(session_id, column)

    def record_skip(self, session_id: int) -> Session:
        return self._bump(session_id, "skipped")

    def record_answer(self, session_id: int, *, correct: bool) -> Session:
        return self._bump(session_id, "quiz_correct", int(correct))

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

    def end(
        self, session_id: int, status: Status, *, idle_since: float | None = None
    ) -> Session | None:
        """Close an open session that is not busy (→ ``status``, running while its lab
        is cleaned); None if it is busy or over meanwhile (a race, not an error).

        ``idle_since``: only if it has been inactive since then (lease expiry).
        """
        if status.is_open:
            raise IllegalTransition(f"session {session_id}: {status} does not end a lesson")
        froms = [now for now in (Status.QUEUED, Status.ACTIVE) if status in STATUS_MOVES[now]]
        sql = (
            "UPDATE bot_sessions SET status = ?, state = 'running', finished_at = ?"
            f" WHERE id = ? AND status IN ({', '.join('?' * len(froms))}) AND state = 'ready'"
        )
        params: list[Any] = [status, time.time(), session_id, *froms]
        if idle_since is not None:
            sql += " AND last_active < ?"
            params.append(idle_since)
        with self._write() as db:
            won = db.execute(sql, params).rowcount == 1
        return self.get(session_id) if won else None

    def finish(self, session_id: int) -> Session:
        """Every step and question done: the lesson is over."""
        return self._close(session_id, Status.FINISHED)

    def fail(self, session_id: int) -> Session:
        """The lesson cannot go on (its lab failed, Slack refused, a bug)."""
        return self._close(session_id, Status.FAILED)

    def _close(self, session_id: int, status: Status) -> Session:
        with self._write() as db:
            row = self._row(db, session_id)
            check_status(session_id, row.status, status)
            db.execute(
                "UPDATE bot_sessions SET status = ?, phase = ?, state = 'ready', finished_at = ?"
                " WHERE id = ?",
                (
                    status,
                    Phase.DONE if status is Status.FINISHED else row.phase,
                    time.time(),
                    session_id,
                ),
            )
        return self._get(session_id)

    def _next_turn(self, session_id: int, phase: Phase, values: dict[str, Any]) -> Session:
        with self._write() as db:
            row = self._row(db, session_id)
            if row.status is not Status.ACTIVE:
                raise IllegalTransition(
                    f"session {session_id} is {row.status}: it has no turn to offer"
                )
            check_phase(session_id, row.phase, phase)
            values = {"phase": phase, "turn": row.turn + 1, "state": Turn.READY, **values}
            self._update(db, session_id, values)
        return self._get(session_id)

    def _bump(self, session_id: int, column: str, by: int = 1) -> Session:
        with self._write() as db:
            db.execute(
                f"UPDATE bot_sessions SET {column} = {column} + ? WHERE id = ?", (by, session_id)
            )
        return self._get(session_id)

    def _set(self, session_id: int, **values: Any) -> Session:
        with self._write() as db:
            self._update(db, session_id, values)
        return self._get(session_id)

    @staticmethod
    def _update(db: sqlite3.Connection, session_id: int, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values)
        db.execute(
            f"UPDATE bot_sessions SET {assignments} WHERE id = ?", (*values.values(), session_id)
        )

    @staticmethod
    def _row(db: sqlite3.Connection, session_id: int) -> Session:
        row = db.execute(
            f"SELECT {_COLUMNS} FROM bot_sessions WHERE id = ?", (session_id,)
        ).fetchone()
        if row is None:
            raise StoreProblem(f"session {session_id} is not in the bot's database")
        return Session(**dict(row))

    def _get(self, session_id: int) -> Session:
        session = self.get(session_id)
        if session is None:
            raise StoreProblem(f"session {session_id} is not in the bot's database")
        return session

    # == leases =========================================================================

    def acquire(self, session_id: int, learner: str, labs: Sequence[str]) -> str | None:
        """Give the first free, working lab of ``labs`` to a queued session
        (→ active, beginning); None if none is free or it left the queue."""
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT status FROM bot_sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None or row[0] != Status.QUEUED:
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

    def lease_of(self, session_id: int) -> Lease | None:
        return next((lease for lease in self.leases() if lease.session_id == session_id), None)

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

    # == events =========================================================================

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
