"""After a restart, and every half minute: nothing is left half done.

:meth:`Recovery.recover` finishes what a stopped bot interrupted (a lesson
message never posted, a step cut short, a lab not cleaned); :meth:`Recovery.tick`
expires idle leases (cleaning their labs), serves the queue and forgets old
Events API ids.
"""

from __future__ import annotations

import logging
import threading
import time

from .core import BotCore
from .failures import SessionFailures
from .flow import LessonFlow
from .jobs import Jobs
from .pool import LabPool
from .state import OPEN, Phase

log = logging.getLogger(__name__)
EVENT_MEMORY = 24 * 3600  # Slack retries within minutes; keep event ids for a day


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
        self._stop = threading.Event()
        self._janitor: threading.Thread | None = None

    def recover(self) -> None:
        """Finish what was interrupted, offer live buttons again."""
        for s in self._store.unposted():  # its lesson message was never posted
            self._jobs.submit(s.id, self._flow.open, s.id, None)
        for s in self._store.busy():
            if s.is_open and s.thread_ts is None:
                continue  # (just above)
            if s.is_open and s.phase is Phase.BEGIN:
                self._jobs.submit(s.id, self._flow.begin, s.id, False)
            elif s.is_open:
                n = s.step_index + 1
                note = (
                    f"The bot restarted while step {n} was running; its result was lost."
                    if s.phase is Phase.STEP
                    else "The bot restarted while checking your answer."
                )
                self._jobs.submit(s.id, self._failures.resume_interrupted, s, note)
            else:
                self._jobs.submit(s.id, self._flow.end, s.id, "")
        for lease in self._store.leases():  # held by a session that ended meanwhile
            owner = self._store.get(lease.session_id)
            if owner is None:
                self._store.release(lease.session_id)
            elif owner.status not in OPEN and not owner.running:
                self._jobs.submit(owner.id, self._flow.end, owner.id, "")
        self._flow.serve_queue()

    def tick(self, now: float | None = None) -> None:
        """Expire idle leases (cleaning their labs), serve the queue, forget old events."""
        now = time.time() if now is None else now
        for s in self._pool.expire(now):
            self._jobs.submit(s.id, self._flow.end, s.id, self._pool.expiry_note(s))
        self._store.forget_events(now - EVENT_MEMORY)
        self._flow.serve_queue()

    def start_janitor(self, interval: float = 30.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.tick()
                except Exception:
                    log.exception("janitor")

        self._janitor = threading.Thread(target=loop, name="hostnet-janitor", daemon=True)
        self._janitor.start()

    def stop(self) -> None:
        self._stop.set()
