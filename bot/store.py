"""The bot's own state, next to the engine's progress tables (same database):
a SQLite file, or PostgreSQL for several bot processes (``db.py``).

All of the bot's SQL is here and in ``store_pool.py`` and ``store_replicas.py``,
behind named methods, each one move of the state machine in ``state.py`` (an
illegal move raises :class:`~hostnet.bot.state.IllegalTransition`). The SQL is
written once, for both databases:

* ``bot_sessions``: one lesson in one Slack thread. :meth:`BotStore.claim` moves
  the row from ``ready`` to ``running`` only for the live turn, in one UPDATE,
  so a double click, a retried request or a click on an old message runs
  nothing, whichever bot process each click reaches. Queued learners are
  sessions with status ``queued`` (first come, first served).
* ``bot_leases``: which lab belongs to which session (a lab has at most one).
* ``bot_labs_down``: labs that failed, kept out of the pool for a while.
* ``bot_events``: Events API ids already handled (Slack retries; bolt does not dedupe).
* ``bot_replicas``, ``bot_jobs``: the bot processes, and who does the periodic jobs.

Every move is one short transaction; a move that reads a row before it changes
it locks the row first (``FOR UPDATE``, PostgreSQL's; SQLite has one writer).
"""

from __future__ import annotations

import time
from typing import Any

from .db import StoreProblem
from .state import (
    STATUS_MOVES,
    IllegalTransition,
    Phase,
    Session,
    Status,
    Turn,
    check_phase,
    check_status,
)
from .store_base import COLUMNS, OPEN_SQL
from .store_pool import PoolMoves
from .store_replicas import ReplicaMoves


class BotStore(PoolMoves, ReplicaMoves):
    # == sessions: reads ================================================================

    def get(self, session_id: int) -> Session | None:
        rows = self._sessions("id = ?", (session_id,))
        return rows[0] if rows else None

    def open_session(self, learner: str) -> Session | None:
        rows = self._sessions(f"learner = ? AND {OPEN_SQL}", (learner,))
        return rows[0] if rows else None

    def sessions(self) -> list[Session]:
        return self._sessions("TRUE")

    def queue(self) -> list[Session]:
        """Learners waiting for a lab, longest first."""
        return self._sessions("status = 'queued'")

    def queue_position(self, session_id: int) -> int:
        return len(self._sessions("status = 'queued' AND id <= ?", (session_id,)))

    def unposted(self) -> list[Session]:
        """Open sessions whose lesson message never reached Slack."""
        return self._sessions(f"{OPEN_SQL} AND thread_ts IS NULL")

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
        return self._sessions(f"{OPEN_SQL} OR created_at > ?", (since,))

    # == sessions: moves ================================================================

    def create(self, learner: str, channel: str, lesson: str) -> Session | None:
        """A new queued session; None when ``learner`` already has an open one."""
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "INSERT INTO bot_sessions (learner, channel, lesson, status, owner, claimed_at,"
                " created_at, last_active) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING id",  # bot_one_open_session
                (learner, channel, lesson, self.replica.id, now, now, now),
            ).fetchone()
        return None if row is None else self._get(int(row[0]))

    def set_thread(self, session_id: int, thread_ts: str) -> Session:
        """The lesson message was posted: its thread is the lesson's."""
        return self._set(session_id, thread_ts=thread_ts)

    def claim(self, session_id: int, turn: int, phase: Phase) -> Session | None:
        """Take the live turn of an active session (ready → running), or None.

        One UPDATE decides: of two clicks on the same button, one wins.
        """
        now = time.time()
        with self._write() as db:
            won = (
                db.execute(
                    "UPDATE bot_sessions SET state = 'running', owner = ?, claimed_at = ?,"
                    " last_active = ? WHERE id = ? AND turn = ? AND phase = ? AND state = 'ready'"
                    " AND status = 'active'",
                    (self.replica.id, now, now, session_id, turn, phase),
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
            "UPDATE bot_sessions SET status = ?, state = 'running', owner = ?, claimed_at = ?,"
            " finished_at = ?"
            f" WHERE id = ? AND status IN ({', '.join('?' * len(froms))}) AND state = 'ready'"
        )
        now = time.time()
        params: list[Any] = [status, self.replica.id, now, now, session_id, *froms]
        if idle_since is not None:
            sql += " AND last_active < ?"
            params.append(idle_since)
        with self._write() as db:
            won = db.execute(sql, params).rowcount == 1
        return self.get(session_id) if won else None

    def claim_cleanup(self, session_id: int) -> Session | None:
        """A lesson that is over but still holds its lab: take it (ready → running) to
        clean the lab; None if it is busy or another process took it."""
        now = time.time()
        with self._write() as db:
            won = (
                db.execute(
                    "UPDATE bot_sessions SET state = 'running', owner = ?, claimed_at = ?"
                    f" WHERE id = ? AND NOT ({OPEN_SQL}) AND state = 'ready'",
                    (self.replica.id, now, session_id),
                ).rowcount
                == 1
            )
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
    def _update(db: Any, session_id: int, values: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values)
        db.execute(
            f"UPDATE bot_sessions SET {assignments} WHERE id = ?", (*values.values(), session_id)
        )

    def _row(self, db: Any, session_id: int) -> Session:
        """The session's row, locked until the transaction ends."""
        row = db.execute(
            f"SELECT {COLUMNS} FROM bot_sessions WHERE id = ?{self.for_update}", (session_id,)
        ).fetchone()
        if row is None:
            raise StoreProblem(f"session {session_id} is not in the bot's database")
        return Session(*row)

    def _get(self, session_id: int) -> Session:
        session = self.get(session_id)
        if session is None:
            raise StoreProblem(f"session {session_id} is not in the bot's database")
        return session
