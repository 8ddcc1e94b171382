"""The watch over running steps (bot/watch.py), on its own: the shared budget of
updates, and who ends a step first (its job or the watch)."""

from __future__ import annotations

import threading
import time

from hostnet.bot.jobs import Jobs
from hostnet.bot.watch import Watch
from hostnet.bot.workers import Workers


class _Failures:
    def lab_failed(self, session_id: int, exc: BaseException) -> None:
        raise AssertionError(exc)

    failed = reoffer = lab_failed


def _jobs() -> tuple[Jobs, Workers, Workers]:
    workers, urgent = Workers(2, "test-work"), Workers(1, "test-urgent")
    jobs = Jobs(workers, urgent)
    jobs.route_failures_to(_Failures())
    return jobs, workers, urgent


def test_every_running_step_shares_one_budget_of_updates() -> None:
    """chat.update is rate limited per workspace: ten steps running at once get
    no more updates a minute than one would be allowed alone."""
    jobs, workers, urgent = _jobs()
    watch = Watch(jobs)
    watch.first, watch.every, watch.per_minute = 0.0, 0.0, 5
    shown: list[float] = []
    tickets = [watch.watch(n, 60, shown.append, lambda took: None) for n in range(10)]
    time.sleep(2)
    assert len(shown) == 5
    assert all(t.finish() for t in tickets)
    time.sleep(1)  # the watch's thread ends once nothing runs
    assert watch.watching() == 0
    workers.shutdown()
    urgent.shutdown()


def test_a_step_that_outlives_its_limit_is_let_go_once_and_its_job_is_told() -> None:
    jobs, workers, urgent = _jobs()
    watch = Watch(jobs)
    watch.backstop = 0.5
    let_go = threading.Event()
    overdue: list[float] = []

    def on_overdue(took: float) -> None:
        overdue.append(took)
        let_go.set()

    ticket = watch.watch(7, 0.5, lambda took: None, on_overdue)
    assert jobs.busy() == set()
    assert let_go.wait(5)
    assert urgent.wait_idle(5)
    assert len(overdue) == 1 and 1.0 <= overdue[0] < 2.5, overdue
    assert not ticket.finish()  # the job, back at last, leaves the session alone
    assert jobs.busy() == set()
    workers.shutdown()
    urgent.shutdown()


def test_a_step_whose_job_ends_first_is_never_let_go_nor_updated_after() -> None:
    jobs, workers, urgent = _jobs()
    watch = Watch(jobs)
    watch.first, watch.every, watch.backstop = 0.0, 0.0, 0.0
    shown: list[float] = []
    overdue: list[float] = []
    ticket = watch.watch(1, 0.0, shown.append, overdue.append)
    assert ticket.finish()
    time.sleep(1.5)
    assert (shown, overdue) == ([], [])
    workers.shutdown()
    urgent.shutdown()
