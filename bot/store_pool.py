"""The store's moves on the lab pool and on Slack's events: leases (a lab has at
most one learner), labs out of service, and Events API ids already handled.

``acquire`` serves the queue in order, whichever bot process asks: it locks the
learner's row (``FOR UPDATE`` in PostgreSQL; SQLite has one writer anyway),
gives nothing while a learner ahead is waiting, and takes a lab by inserting
its lease, which the lab's primary key lets only one transaction do.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from .state import Lease, Status
from .store_base import StoreBase


class PoolMoves(StoreBase):
    def acquire(self, session_id: int, learner: str, labs: Sequence[str]) -> str | None:
        """Give the first free, working lab of ``labs`` to a queued session (→ active,
        beginning); None if none is free, a learner ahead waits, or it left the queue."""
        now = time.time()
        with self._write() as db:
            row = db.execute(
                f"SELECT status FROM bot_sessions WHERE id = ?{self.for_update}", (session_id,)
            ).fetchone()
            if row is None or row[0] != Status.QUEUED:
                return None  # left the queue meanwhile (or served by another process)
            ahead = db.execute(
                "SELECT id FROM bot_sessions WHERE status = 'queued' AND thread_ts IS NOT NULL"
                " AND id < ? LIMIT 1",
                (session_id,),
            ).fetchone()
            if ahead is not None:
                return None  # first come, first served
            held = {r[0] for r in db.execute("SELECT lab FROM bot_leases").fetchall()}
            down = {
                r[0]
                for r in db.execute(
                    "SELECT lab FROM bot_labs_down WHERE until > ?", (now,)
                ).fetchall()
            }
            lab = None
            for name in (n for n in labs if n not in held and n not in down):
                if db.execute(
                    "INSERT INTO bot_leases (lab, session_id, learner, leased_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING lab",
                    (name, session_id, learner, now),
                ).fetchone():
                    lab = name
                    break
            if lab is None:
                return None
            db.execute(
                "UPDATE bot_sessions SET lab = ?, status = 'active', phase = 'begin',"
                " state = 'running', owner = ?, claimed_at = ?, started_at = ?, last_active = ?"
                " WHERE id = ?",
                (lab, self.replica.id, now, now, now, session_id),
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
        """Record an Events API id; False when it was handled before (a retry), by
        this process or another."""
        with self._write() as db:
            cur = db.execute(
                "INSERT INTO bot_events (event_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (event_id, time.time()),
            )
            return bool(cur.rowcount == 1)

    def forget_events(self, before: float) -> None:
        with self._write() as db:
            db.execute("DELETE FROM bot_events WHERE seen_at < ?", (before,))
