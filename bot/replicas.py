"""Several bot processes on one database: who they are, and which of them are gone.

Each process is a :class:`Replica` with a row of its own (``bot_replicas``) and
a heartbeat. Work in flight on a session (a step running, a lesson message
being posted) names its replica (``bot_sessions.owner``); when that replica is
gone, another one takes the work over, once (``store.take_over``).

A replica is gone when:

* its row is missing (it stopped cleanly, or was found gone before);
* it ran on this machine (same boot, same PID namespace) and its process is no
  longer there: known at once (a crash, ``kill -9``);
* its heartbeat has not moved for :data:`REPLICA_TIMEOUT` seconds of *our*
  clock, watched the whole time while we could reach the database: hosts'
  clocks need not agree, and after an outage of the database, every replica
  is given the full time again to show it is alive.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

HEARTBEAT = 5.0  # seconds between a replica's heartbeats
REPLICA_TIMEOUT = 30.0  # a replica on another machine whose heartbeat stood still this long is gone


def machine_id() -> str:
    """This boot of this machine and this PID namespace ("" where /proc cannot tell):
    two processes with the same machine id can see each other's PIDs."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return ""
    return f"{boot}/{namespace}"


def process_start(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot), "" if there is none:
    a PID taken again by another process has another start."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


@dataclass(frozen=True)
class Replica:
    id: str
    host: str  # for people (``/hostnet labs``, logs)
    machine: str
    pid: int
    pid_start: str

    @classmethod
    def this_process(cls) -> Replica:
        pid = os.getpid()
        return cls(
            uuid.uuid4().hex[:16], socket.gethostname(), machine_id(), pid, process_start(pid)
        )


@dataclass(frozen=True)
class ReplicaRow:
    id: str
    host: str
    machine: str
    pid: int
    pid_start: str
    started_at: float
    seen_at: float

    def exited_here(self, machine: str) -> bool:
        """It ran on this machine, and its process is gone."""
        return (
            bool(machine) and self.machine == machine and process_start(self.pid) != self.pid_start
        )


class Liveness:
    """Which replicas are gone, as one replica sees them (see the module's text)."""

    def __init__(self, me: Replica, timeout: float = REPLICA_TIMEOUT) -> None:
        self.me = me
        self.timeout = timeout
        self._rows: dict[str, ReplicaRow] = {}
        self._moved: dict[str, tuple[float, float]] = {}  # id → (seen_at, when we saw it change)
        self._since: float | None = None  # since when we have watched without a break

    def observe(self, rows: Iterable[ReplicaRow]) -> None:
        now = time.monotonic()
        if self._since is None:
            self._since = now
        self._rows = {row.id: row for row in rows}
        for row in self._rows.values():
            before = self._moved.get(row.id)
            if before is None or before[0] != row.seen_at:
                self._moved[row.id] = (row.seen_at, now)
        for gone in set(self._moved) - set(self._rows):
            del self._moved[gone]

    def lost_sight(self) -> None:
        """We could not reach the database: start watching afresh."""
        self._since = None
        self._moved.clear()

    def gone(self, replica: str | None) -> bool:
        if replica == self.me.id:
            return False
        row = self._rows.get(replica or "")
        if row is None:
            return True  # stopped cleanly, found gone before, or work from before replicas
        if row.exited_here(self.me.machine):
            return True
        now = time.monotonic()
        if self._since is None or now - self._since <= self.timeout:
            return False  # not watched long enough to tell
        return now - self._moved[row.id][1] > self.timeout

    def alive(self) -> set[str]:
        return {replica for replica in self._rows if not self.gone(replica)} | {self.me.id}
