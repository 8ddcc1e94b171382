"""While a step runs on a lab: its message says so, and a step that never ends is let go.

A claimed click's job (``flow.py``) runs the step on the learner's lab; its
message says "⏳ running on lab-01…" at once. The watch keeps that true:

* after ``FIRST`` seconds the message says "⏳ still running on lab-01 (N s)",
  updated every ``EVERY`` seconds while the step runs. ``chat.update`` is a
  Tier 3 method (about 50 calls a minute per workspace), so every running step
  of the bot shares ``PER_MINUTE`` updates: in a busy workshop each message is
  updated less often, never more.
* a step that has outlived its time limit plus ``BACKSTOP`` seconds (the SSH
  target's own backstop, the checks' time to settle, a margin) is let go: its
  ``overdue`` handler tells the learner and gives live buttons back. It runs on
  the jobs' urgent pool, which no stuck lab can fill. If the job comes back
  after all, :meth:`Ticket.finish` says so and the job leaves the session alone.

One thread, started by the first step watched, ends when none is left.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from .jobs import Jobs

log = logging.getLogger(__name__)

FIRST = 3.0  # seconds before a running step's message says it still runs
EVERY = 7.0  # seconds between two updates of the same message
PER_MINUTE = 30  # "still running" updates a minute, all steps together (Tier 3: ~50)
BACKSTOP = 30.0  # seconds past a step's time limit before the watch lets it go
TICK = 0.5  # how often the watch looks


class _State(Enum):
    RUNNING = "running"
    DONE = "done"  # the job finished first
    LET_GO = "let go"  # the watch gave up on it first


class Ticket:
    """One running step, between its job and the watch: whoever ends it first wins."""

    def __init__(
        self,
        session_id: int,
        limit: float,
        status: Callable[[float], None],
        overdue: Callable[[float], None],
        *,
        first: float,
        backstop: float,
    ) -> None:
        self.session_id = session_id
        self.started = time.monotonic()
        self.deadline = self.started + limit + backstop
        self.next_update = self.started + first
        self._status = status
        self._overdue = overdue
        self._state = _State.RUNNING
        self._lock = threading.Lock()  # held while the message is updated

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def finish(self) -> bool:
        """The job is done with the step: True when it may go on (post the result);
        False when the watch let the step go meanwhile (the learner was told)."""
        with self._lock:  # an update under way ends first: it cannot land after the result
            if self._state is _State.LET_GO:
                return False
            self._state = _State.DONE
            return True

    @property
    def open(self) -> bool:
        return self._state is _State.RUNNING

    def show(self, every: float) -> None:
        """Update the message with the time elapsed (unless the job just finished)."""
        with self._lock:
            if self._state is not _State.RUNNING:
                return
            self.next_update = time.monotonic() + every
            try:
                self._status(self.elapsed)
            except Exception:  # cosmetic: the next update may get through
                log.exception("could not show that session %s's step still runs", self.session_id)

    def let_go(self) -> bool:
        """The watch gives up on the step; False when the job finished first."""
        with self._lock:
            if self._state is not _State.RUNNING:
                return False
            self._state = _State.LET_GO
            return True

    def overdue(self) -> None:
        self._overdue(self.elapsed)


class Watch:
    def __init__(self, jobs: Jobs) -> None:
        self._jobs = jobs
        # Read when the bot is built, so that a test may shorten them first.
        self.first, self.every, self.backstop = FIRST, EVERY, BACKSTOP
        self.per_minute = PER_MINUTE
        self._tickets: list[Ticket] = []
        self._sent: deque[float] = deque()  # when the last updates went out
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(
        self,
        session_id: int,
        limit: float,
        status: Callable[[float], None],
        overdue: Callable[[float], None],
    ) -> Ticket:
        """Watch a step that may run ``limit`` seconds: ``status(elapsed)`` shows it
        still runs, ``overdue(elapsed)`` ends it (on the urgent pool) if the job
        has not called :meth:`Ticket.finish` by the limit plus the backstop."""
        ticket = Ticket(
            session_id, limit, status, overdue, first=self.first, backstop=self.backstop
        )
        with self._lock:
            self._tickets.append(ticket)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="hostnet-watch", daemon=True
                )
                self._thread.start()
        return ticket

    def watching(self) -> int:
        with self._lock:
            return sum(1 for t in self._tickets if t.open)

    def _loop(self) -> None:
        while True:
            time.sleep(TICK)
            with self._lock:
                self._tickets = [t for t in self._tickets if t.open]
                if not self._tickets:
                    self._thread = None
                    return
                tickets = sorted(self._tickets, key=lambda t: t.next_update)
            for ticket in tickets:
                self._look(ticket)

    def _look(self, ticket: Ticket) -> None:
        now = time.monotonic()
        if now >= ticket.deadline:
            if ticket.let_go():
                log.warning(
                    "session %s: no result after %.0f s; the learner gets the step back",
                    ticket.session_id,
                    ticket.elapsed,
                )
                self._jobs.submit_urgent(ticket.session_id, ticket.overdue)
        elif now >= ticket.next_update and self._may_update(now):
            ticket.show(self.every)

    def _may_update(self, now: float) -> bool:
        """One more update within the shared budget (a sliding minute)."""
        while self._sent and now - self._sent[0] >= 60:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            return False
        self._sent.append(now)
        return True
