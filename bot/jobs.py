"""Work on labs, off bolt's listener threads: a bounded pool, and one funnel that
turns every failure of a job into a readable message in the lesson's thread.

Listeners only ack and submit; a job may take minutes (a step's command) and
never holds an ack back.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError

from hostnet.engine.errors import EnvironmentProblem, HostnetError, ProgressError, TargetError

from .db import StoreProblem
from .slack import api_error

log = logging.getLogger(__name__)


class Failures(Protocol):
    """What becomes of a session whose job failed (``failures.py``)."""

    def lab_failed(self, session_id: int, exc: HostnetError) -> None:
        """The lab is at fault (unreachable, not ready, engine gone)."""

    def failed(self, session_id: int, exc: HostnetError) -> None:
        """The lesson cannot go on for a reason that is not the lab's."""

    def reoffer(self, session_id: int, exc: BaseException) -> None:
        """A bug or Slack refused a call: say so and give live buttons back."""


class Jobs:
    def __init__(self, workers: Executor, urgent: Executor | None = None) -> None:
        self._workers = workers
        self._urgent = urgent or workers  # work that must not wait behind stuck labs
        self._failures: Failures | None = None
        self._on: Counter[int] = Counter()  # session id → jobs queued or running for it
        self._lock = threading.Lock()

    def busy(self) -> set[int]:
        """The sessions a job is queued or running for (the invariant checker asks)."""
        with self._lock:
            return set(self._on)

    def route_failures_to(self, failures: Failures) -> None:
        self._failures = failures

    def submit(self, session_id: int, job: Callable[..., None], *args: Any) -> None:
        """Run ``job(*args)`` on a worker; its failure ends up in ``session_id``'s thread."""
        self._submit(self._workers, session_id, job, *args)

    def submit_urgent(self, session_id: int, job: Callable[..., None], *args: Any) -> None:
        """As :meth:`submit`, on the urgent pool: telling a learner that their lab is
        stuck must not wait for a worker that the stuck lab holds."""
        self._submit(self._urgent, session_id, job, *args)

    def _submit(
        self, pool: Executor, session_id: int, job: Callable[..., None], *args: Any
    ) -> None:
        with self._lock:
            self._on[session_id] += 1
        try:
            pool.submit(self._guarded, session_id, job, *args)
        except BaseException:
            self._done(session_id)
            raise

    def _done(self, session_id: int) -> None:
        with self._lock:
            self._on[session_id] -= 1
            if self._on[session_id] <= 0:
                del self._on[session_id]

    def submit_quietly(self, job: Callable[..., None], *args: Any) -> None:
        """Run a job whose failure only needs logging (a hint, a note)."""
        self._workers.submit(self._logged, job, *args)

    def _guarded(self, session_id: int, job: Callable[..., None], *args: Any) -> None:
        try:
            self._run(session_id, job, *args)
        finally:
            self._done(session_id)

    def _run(self, session_id: int, job: Callable[..., None], *args: Any) -> None:
        failures = self._failures
        assert failures is not None, "Jobs.route_failures_to() was not called"
        try:
            job(*args)
        except (ProgressError, StoreProblem) as exc:  # the database, not the lab
            self._report(failures.failed, session_id, exc)
        except (TargetError, EnvironmentProblem) as exc:  # the lab (prerequisites included)
            self._report(failures.lab_failed, session_id, exc)
        except HostnetError as exc:  # a lesson that no longer loads, …
            self._report(failures.failed, session_id, exc)
        except SlackApiError as exc:
            log.error("Slack refused a call for session %s: %s", session_id, api_error(exc))
            self._report(failures.reoffer, session_id, exc)
        except Exception as exc:
            log.exception("bug while handling session %s", session_id)
            self._report(failures.reoffer, session_id, exc)

    @staticmethod
    def _report(handler: Callable[[int, Any], None], session_id: int, exc: BaseException) -> None:
        try:
            handler(session_id, exc)
        except Exception:
            log.exception("could not report a failure of session %s", session_id)

    @staticmethod
    def _logged(job: Callable[..., None], *args: Any) -> None:
        try:
            job(*args)
        except Exception:
            log.exception("job %s", getattr(job, "__name__", job))
