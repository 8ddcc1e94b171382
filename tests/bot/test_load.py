"""Acks are never starved: 100 clicks at once while 5 lessons run steps on their labs,
with the bot's state in SQLite and in PostgreSQL."""

from __future__ import annotations

import statistics
import threading
import time

from hostnet.bot.testing.requests import ALICE, BOB, CAROL, TEACHER

LEARNERS = [ALICE, BOB, CAROL, TEACHER, "U0DAVE"]


def test_100_clicks_while_5_steps_run(on_both_backends, make_bot, echo_lessons, fake_slack) -> None:
    echo_lessons(first="sleep 2; echo first")
    bot = make_bot(
        labs=[{"name": f"lab-{n:02}", "local": True} for n in range(1, 6)],
        allowed_users=["*"],
        message_interval_seconds=0.01,
        database=on_both_backends,
    )
    backend = "PostgreSQL" if "://" in on_both_backends else "SQLite"
    for user in LEARNERS:
        bot.slash(user, "start 1")
    steps = {user: bot.step_message(user) for user in LEARNERS}
    started = time.monotonic()
    for user in LEARNERS:  # five steps now run on five labs, for 2 s
        bot.click(user, steps[user], "hostnet.run", settle=False)

    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()
    go = threading.Barrier(100)

    def click(n: int) -> None:
        user = LEARNERS[n % 5]
        action = "hostnet.run" if n % 2 else "hostnet.hint"  # double clicks and hints
        go.wait()
        t0 = time.perf_counter()
        response = bot.click(user, steps[user], action, settle=False)
        with lock:
            latencies.append(time.perf_counter() - t0)
            statuses.append(response.status)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.monotonic() - started < 2, "the clicks had to arrive while the steps ran"
    bot.settle()

    assert statuses == [200] * 100
    latencies.sort()
    p50, p99 = statistics.median(latencies), latencies[98]
    print(
        f"ack latency of 100 concurrent clicks ({backend}): "
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"
    )
    assert p99 < 1.0  # Slack's limit is 3 s; the goal (and what it does here) is < 100 ms
    # Each step ran once, whatever the clicks.
    assert sorted(bot.labs.commands()).count("sleep 2; echo first") == 5


def test_the_bots_overhead_from_click_to_result(make_bot, echo_lessons, fake_slack) -> None:
    """Click → result posted, minus the command's own time: what the bot adds."""
    echo_lessons()
    bot = make_bot(message_interval_seconds=0)
    overheads = []
    for _ in range(20):
        bot.slash(ALICE, "start 1")
        for _step in range(2):
            t0 = time.monotonic()
            result = bot.run_step(ALICE)
            took = next(
                seconds
                for command, seconds in reversed(bot.labs.durations)
                if command.startswith(("echo first", "echo second"))
            )
            overheads.append(result.at - t0 - took)
        for n in (1, 2):
            bot.click(ALICE, fake_slack.last_with(f"hostnet.quiz.{n}"), f"hostnet.quiz.{n}")
    overheads.sort()
    median, p95 = statistics.median(overheads), overheads[int(len(overheads) * 0.95) - 1]
    print(f"bot overhead click → result: median {median * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    assert p95 < 2.0
