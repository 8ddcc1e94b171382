"""After a restart, and all the time: nothing is left half done, by any bot process.

:meth:`Recovery.recover` joins this process to the replicas (``replicas.py``)
and takes over what a stopped bot interrupted (a lesson message never posted, a
step cut short, a lab not cleaned). The janitor then, every few seconds, beats
this process's heart and takes over work in flight that nobody does any more:
a gone replica's, or this process's own that lost its job (the database was
unreachable when the job wanted to finish). :meth:`Recovery.tick` expires idle
leases (cleaning their labs), serves the queue and forgets old Events API ids.

With several replicas, one at a time does the periodic jobs: the one holding
the ``janitor`` lease (``store.take_job``); and each piece of work is taken over
by exactly one (``store.take_over``).
"""

from __future__ import annotations

import logging
import threading
import time

from .core import BotCore
from .db import StoreProblem
from .failures import SessionFailures
from .flow import LessonFlow
from .jobs import Jobs
from .pool import LabPool
from .replicas import HEARTBEAT, Liveness
from .state import OPEN, Phase, Session

log = logging.getLogger(__name__)
EVENT_MEMORY = 24 * 3600  # Slack retries within minutes; keep event ids for a day
TICK = 30.0  # seconds between ticks (idle expiry, the queue)
CLAIM_GRACE = 10.0  # work claimed this recently may still be on its way to a job
JANITOR = "janitor"  # the lease on the periodic jobs
LEASE = 3 * HEARTBEAT  # held this long, renewed at every heartbeat


class Recovery:
    def __init__(
        self,
        core: BotCore,
        pool: LabPool,
        flow: LessonFlow,
        failures: SessionFailures,
        jobs: Jobs,
    ) -> None:
        self._core = core
        self._store = core.store
        self._pool = pool
        self._flow = flow
        self._failures = failures
        self._jobs = jobs
        self._liveness = Liveness(core.store.replica)
        self._stop = threading.Event()
        self._janitor: threading.Thread | None = None

    def recover(self) -> None:
        """At start: join the replicas, finish what was interrupted, serve the queue."""
        self._store.register()
        self.sweep(started=True)
        self._flow.serve_queue()

    def sweep(self, *, started: bool = False) -> None:
        """Beat this process's heart; take over work in flight that nobody does."""
        me = self._store.replica.id
        self._store.heartbeat()
        busy = self._jobs.busy()  # (before the sessions: a job that ends meanwhile is seen)
        flight = self._store.in_flight()
        replicas = self._store.replicas()
        self._liveness.observe(replicas)
        now = time.time()
        lost = [
            s
            for s in flight
            if s.owner == me and s.id not in busy and (s.claimed_at or 0) < now - CLAIM_GRACE
        ]
        orphans: list[Session] = []
        if self._janitor_lease():
            orphans = [s for s in flight if s.owner != me and self._liveness.gone(s.owner)]
            self._release_stale_leases()
            for row in replicas:
                if self._liveness.gone(row.id):
                    self._store.forget_replica(row.id)
        for s in lost + orphans:
            taken = self._store.take_over(s)
            if taken is not None:
                log.info("taking over session %s (%s) from %s", s.id, s.learner, s.owner)
                self._resume(taken, cause=_cause(s, me, started))

    def _janitor_lease(self) -> bool:
        return self._store.take_job(JANITOR, LEASE, self._liveness.alive())

    def _resume(self, s: Session, cause: str) -> None:
        if s.is_open and s.thread_ts is None:  # its lesson message was never posted
            self._jobs.submit(s.id, self._flow.open, s.id, None)
        elif s.is_open and s.phase is Phase.BEGIN:
            self._jobs.submit(s.id, self._flow.begin, s.id, False)
        elif s.is_open:
            n = s.step_index + 1
            note = (
                f"{cause} while step {n} was running; its result was lost."
                if s.phase is Phase.STEP
                else f"{cause} while checking your answer."
            )
            self._jobs.submit(s.id, self._failures.resume_interrupted, s, note)
        else:
            self._jobs.submit(s.id, self._flow.end, s.id, "")

    def _release_stale_leases(self) -> None:
        """Leases held by a session that ended meanwhile (and nothing cleans its lab)."""
        for lease in self._store.leases():
            owner = self._store.get(lease.session_id)
            if owner is None:
                self._store.release(lease.session_id)
            elif (
                owner.status not in OPEN
                and not owner.running
                and self._store.claim_cleanup(owner.id) is not None
            ):
                self._jobs.submit(owner.id, self._flow.end, owner.id, "")

    def tick(self, now: float | None = None) -> None:
        """Expire idle leases (cleaning their labs), serve the queue, forget old events:
        in one replica at a time."""
        now = time.time() if now is None else now
        if self._janitor_lease():
            for s in self._pool.expire(now):
                self._jobs.submit(s.id, self._flow.end, s.id, self._pool.expiry_note(s))
            self._store.forget_events(now - EVENT_MEMORY)
        self._flow.serve_queue()

    def start_janitor(self, interval: float = HEARTBEAT, tick: float = TICK) -> None:
        def loop() -> None:
            last_tick = time.monotonic()
            while not self._stop.wait(interval):
                try:
                    self.sweep()
                    if time.monotonic() - last_tick >= tick:
                        last_tick = time.monotonic()
                        self.tick()
                except StoreProblem as exc:
                    self._liveness.lost_sight()
                    log.warning("janitor: %s", exc.message)
                except Exception:
                    log.exception("janitor")

        self._janitor = threading.Thread(target=loop, name="hostnet-janitor", daemon=True)
        self._janitor.start()

    def stop(self) -> None:
        self._stop.set()
        if self._janitor is not None:
            self._janitor.join(timeout=30)


def _cause(s: Session, me: str, started: bool) -> str:
    if s.owner == me:
        return "I lost track of this lesson (my database was unreachable)"
    if started:
        return "The bot restarted"
    return "The bot process that ran it stopped"
