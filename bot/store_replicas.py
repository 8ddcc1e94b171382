"""The store's moves for several bot processes on one database (``replicas.py``):
each process's row and heartbeat, the work in flight a gone process left, taken
over by exactly one other, and leases on the periodic jobs (idle expiry, taking
over), so that one process at a time does them."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import Any

from .replicas import ReplicaRow
from .state import Session
from .store_base import OPEN_SQL, StoreBase

IN_FLIGHT_SQL = f"state = 'running' OR ({OPEN_SQL} AND thread_ts IS NULL)"


class ReplicaMoves(StoreBase):
    def register(self) -> None:
        """This process joins the replicas (again, if it was taken for gone)."""
        r, now = self.replica, time.time()
        with self._write() as db:
            db.execute(
                "INSERT INTO bot_replicas (id, host, machine, pid, pid_start, started_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
                (r.id, r.host, r.machine, r.pid, r.pid_start, now, now),
            )

    def heartbeat(self) -> bool:
        """This process is alive; False if its row was gone (it is registered again)."""
        with self._write() as db:
            found = bool(
                db.execute(
                    "UPDATE bot_replicas SET seen_at = ? WHERE id = ?",
                    (time.time(), self.replica.id),
                ).rowcount
                == 1
            )
        if not found:
            self.register()
        return found

    def retire(self) -> None:
        """This process stops: the others need not wait to take its work over."""
        with self._write() as db:
            db.execute("DELETE FROM bot_replicas WHERE id = ?", (self.replica.id,))

    def replicas(self) -> list[ReplicaRow]:
        with self._read() as db:
            rows = db.execute(
                "SELECT id, host, machine, pid, pid_start, started_at, seen_at"
                " FROM bot_replicas ORDER BY started_at"
            ).fetchall()
        return [ReplicaRow(*row) for row in rows]

    def forget_replica(self, replica_id: str) -> None:
        """Remove a gone replica's row, once no work of it is left in flight."""
        with self._write() as db:
            db.execute(
                "DELETE FROM bot_replicas WHERE id = ? AND NOT EXISTS"
                f" (SELECT 1 FROM bot_sessions WHERE owner = ? AND ({IN_FLIGHT_SQL}))",
                (replica_id, replica_id),
            )

    def in_flight(self) -> list[Session]:
        """Sessions with work under way: running, or open with no lesson message yet."""
        return self._sessions(IN_FLIGHT_SQL)

    def take_over(self, s: Session) -> Session | None:
        """Answer for ``s``'s work in flight from now on, as it was read; None when
        it moved meanwhile (done, or taken over by another process)."""
        where = ["id = ?", "status = ?", "state = ?", "turn = ?"]
        params: list[Any] = [s.id, s.status, s.state, s.turn]
        for column, value in (("owner", s.owner), ("claimed_at", s.claimed_at)):
            where.append(f"{column} IS NULL" if value is None else f"{column} = ?")
            params += [] if value is None else [value]
        with self._write() as db:
            won = (
                db.execute(
                    "UPDATE bot_sessions SET owner = ?, claimed_at = ?"
                    f" WHERE {' AND '.join(where)}",
                    (self.replica.id, time.time(), *params),
                ).rowcount
                == 1
            )
        return self._sessions("id = ?", (s.id,))[0] if won else None

    def take_job(self, name: str, seconds: float, alive: Collection[str]) -> bool:
        """Hold the lease on periodic job ``name`` for ``seconds``: True if this process
        holds it (it did, it ran out, or its holder is not among the ``alive``)."""
        now = time.time()
        alive = sorted(set(alive) | {self.replica.id})
        with self._write() as db:
            row = db.execute(
                "INSERT INTO bot_jobs (name, owner, until) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until"
                " WHERE bot_jobs.owner = excluded.owner OR bot_jobs.until < ?"
                f" OR bot_jobs.owner NOT IN ({', '.join('?' * len(alive))})"
                " RETURNING owner",
                (name, self.replica.id, now + seconds, now, *alive),
            ).fetchone()
        return row is not None
