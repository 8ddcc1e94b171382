"""The lab pool: one lab per learner, a queue served in order, leases that expire
when nobody clicks, labs taken out of service for a while when they fail."""

from __future__ import annotations

import threading

from .core import BotCore
from .state import Session, Status


class LabPool:
    def __init__(self, core: BotCore) -> None:
        self._core = core
        self._store = core.store
        self._serving = threading.Lock()

    @property
    def names(self) -> list[str]:
        return [lab.name for lab in self._core.config.labs]

    def lease(self, s: Session) -> str | None:
        """A free lab for a queued learner (who becomes active); None: they wait."""
        return self._store.acquire(s.id, s.learner, self.names)

    def free(self) -> int:
        held = {lease.lab for lease in self._store.leases()}
        down = self._store.labs_down()
        return sum(1 for name in self.names if name not in held and name not in down)

    def serve(self) -> list[Session]:
        """Give free labs to the learners waiting longest; those who got one.

        Only learners whose lesson message is posted are served (the others are
        served when it is, see ``LessonFlow.open``).
        """
        served = []
        with self._serving:
            for s in self._store.queue():
                if s.thread_ts is None:
                    continue
                if self.lease(s) is not None:
                    served.append(self._core.session(s.id))
                elif self.free() == 0:
                    break  # (else this learner left the queue meanwhile)
        return served

    def release(self, s: Session) -> str | None:
        return self._store.release(s.id)

    def take_out(self, lab: str, exc: BaseException) -> None:
        """The lab failed: keep it out of the pool for ``lab_retry_minutes``."""
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self._store.mark_down(lab, self._core.config.lab_retry_minutes * 60, reason)
        self._core.connections.drop(lab)

    def expire(self, now: float) -> list[Session]:
        """End the sessions idle for longer than ``lease_idle_minutes`` (their labs
        still to be cleaned by the caller)."""
        cutoff = now - self._core.config.lease_idle_minutes * 60
        ended = []
        for s in self._store.idle(since=cutoff):
            gone = self._store.end(s.id, Status.EXPIRED, idle_since=cutoff)
            if gone is not None:
                ended.append(gone)
        return ended

    def expiry_note(self, s: Session) -> str:
        lesson = self._core.lesson_of(s)
        minutes = self._core.config.lease_idle_minutes
        return (
            f"<@{s.learner}> your lease on {s.lab} expired after {minutes:g} min without "
            f"activity. `/hostnet start {lesson.number}` starts the lesson again."
        )
