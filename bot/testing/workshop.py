"""A workshop through the bot: N learners take lesson 1 at the same time, each
clicking as soon as their next message is offered (the benchmark, the soak test).

A :class:`Learner` types ``/hostnet start 1``, clicks Run on each step once it
is offered, answers the knowledge check and reads the summary. A learner who
waits in vain keeps the evidence (:mod:`.evidence`): their thread, their session
row and their lab's last commands.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Protocol

from hostnet.engine.loader import find_lesson

from .fakeslack import Call, FakeSlack
from .harness import BotHarness
from .requests import CHANNEL, FORM, slash_body

WAIT = 120.0  # seconds a learner waits for their next message before giving up
STEPS = 5  # lesson 1


class Front(Protocol):
    """Where a learner's requests go: a :class:`BotHarness`, or replicas behind a
    load balancer (bench/replicas.py)."""

    def dispatch(self, body: str, content_type: str) -> Any: ...

    def click(self, user: str, call: Call, action_id: str, *, settle: bool = ...) -> Any: ...

    def explain(self, user: str) -> str: ...


class Learner:
    """One learner: starts lesson 1, makes each step's prediction (the right one),
    clicks Run on each step, answers the quiz."""

    def __init__(
        self, user: str, harness: Front, fake: FakeSlack, quiz_answers: Sequence[int]
    ) -> None:
        self.user = user
        self.harness = harness
        self.fake = fake
        self.quiz_answers = list(quiz_answers)
        # Step number → the right choice: a step that asks for a prediction shows
        # its Run button once the prediction is made.
        self.predictions = {
            k: step.predict.answer
            for k, step in enumerate(find_lesson("1").steps, start=1)
            if step.predict is not None
        }
        self.thread_ts: str | None = None
        self.cursor = len(fake.calls)  # calls looked at so far: only this lesson's are new
        self.mine: list[Call] = []  # my thread's posted messages, in order
        self.elapsed = 0.0
        self.latencies: list[float] = []  # click on Run → its result posted, per step
        self.error: str | None = None
        self.cpu = 0.0  # CPU s of this learner's thread, less the bot's own work done in it
        self._bot_cpu = 0.0  # of that thread: handling the learner's requests (the bot's)
        self._run_buttons: dict[str, Call] = {}  # ts → my message updated with its Run button
        self.evidence = ""  # on error: the thread, the session row, the lab's last commands

    def _scan(self) -> None:
        calls = self.fake.calls  # appended to from the stand-in's threads
        # Count first, then take exactly that many: a call appended between a
        # slice and a separate len() would be counted and never looked at.
        end = len(calls)
        new, self.cursor = calls[self.cursor : end], end
        self._scan_messages(new)
        self._scan_updates(new)

    def _scan_messages(self, new: Sequence[Call]) -> None:
        for call in new:
            if call.method != "chat.postMessage":
                continue
            if self.thread_ts is None:
                if (
                    "thread_ts" not in call.args
                    and f"<@{self.user}> is taking this lesson" in call.text()
                ):
                    self.thread_ts = call.ts
            elif call.args.get("thread_ts") == self.thread_ts:
                self.mine.append(call)

    def _scan_updates(self, new: Sequence[Call]) -> None:
        mine = {c.ts for c in self.mine}
        for call in new:
            ts = call.args.get("ts")
            if call.method == "chat.update" and ts in mine and "hostnet.run" in call.buttons():
                self._run_buttons[str(ts)] = Call(call.method, call.args, str(ts))

    def _runnable(self, step: Call) -> Call | None:
        """The step's message as updated with its Run button (after the prediction)."""
        return self._run_buttons.get(str(step.ts))

    def _wait(self, what: str, found: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + WAIT
        with self.fake.arrived:
            while True:
                self._scan()
                value = found()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.user}: no {what} within {WAIT:.0f} s")
                self.fake.arrived.wait(left)

    def _post_with(self, action_id: str, text: str, after: int = 0) -> Call | None:
        for call in self.mine[after:]:
            if action_id in call.buttons() and text in call.text():
                return call
        return None

    def _verdict(self, k: int, after: int) -> Call | None:
        words = (f"*Step {k} passed* on", f"*Step {k} failed* on")
        return next((c for c in self.mine[after:] if any(w in c.text() for w in words)), None)

    def take_lesson_1(self, go: threading.Barrier) -> None:
        """The whole lesson, from the moment ``go`` opens; errors are kept, not raised."""
        go.wait()
        started, cpu = time.monotonic(), time.thread_time()
        try:
            url = f"{self.fake.base}/response/{self.user}"
            self._to_bot(
                self.harness.dispatch, slash_body(self.user, "start 1", CHANNEL, url), FORM
            )
            self._wait("lesson thread", lambda: self.thread_ts)
            for k in range(1, STEPS + 1):
                if (choice := self.predictions.get(k)) is not None:
                    action = f"hostnet.predict.{choice}"
                    step = self._wait(
                        f"step {k}'s prediction",
                        partial(self._post_with, action, f"Step {k} of {STEPS}"),
                    )
                    self._click(step, action)
                    runnable = self._wait(f"step {k}'s Run button", partial(self._runnable, step))
                else:
                    runnable = None
                    step = self._wait(
                        f"step {k}",
                        partial(self._post_with, "hostnet.run", f"Step {k} of {STEPS}"),
                    )
                after = self.mine.index(step)
                clicked = time.monotonic()
                self._click(runnable or step, "hostnet.run")
                verdict = self._wait(f"result of step {k}", partial(self._verdict, k, after))
                self.latencies.append(verdict.at - clicked)
                if "passed*" not in verdict.text():
                    raise AssertionError(f"{self.user}: step {k} failed: {verdict.text()[:400]}")
            for i, answer in enumerate(self.quiz_answers, start=1):
                offered = partial(
                    self._post_with, f"hostnet.quiz.{answer}", f"Knowledge check {i} of"
                )
                question = self._wait(f"question {i}", offered)
                self._click(question, f"hostnet.quiz.{answer}")
            self._check_summary()
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.evidence = self.harness.explain(self.user)
        finally:
            self.elapsed = time.monotonic() - started
            self.cpu = time.thread_time() - cpu - self._bot_cpu

    def _click(self, call: Call, action_id: str) -> None:
        self._to_bot(partial(self.harness.click, settle=False), self.user, call, action_id)

    def _to_bot(self, request: Callable[..., Any], *args: Any) -> None:
        """A request to the bot, which handles it in this thread (as bolt's HTTP
        server would in its own): that CPU time is the bot's, not the learner's."""
        began = time.thread_time()
        try:
            request(*args)
        finally:
            self._bot_cpu += time.thread_time() - began

    def _check_summary(self) -> None:
        summary = self._wait(
            "summary", lambda: next((c for c in self.mine if "Lesson 1 done" in c.text()), None)
        )
        text = summary.text()
        wanted = [f"Steps verified: {STEPS} of {STEPS}", "given back"]
        if self.quiz_answers:
            n = len(self.quiz_answers)
            wanted.append(f"Knowledge check: {n} of {n} right")
        missing = [w for w in wanted if w not in text]
        if missing:
            raise AssertionError(f"{self.user}: summary lacks {missing}: {text[:400]}")


def learners(n: int) -> list[str]:
    """The user ids of a workshop of ``n`` (``U0LEARNER00`` …)."""
    return [f"U0LEARNER{i:02}" for i in range(n)]


def play_round(
    harness: BotHarness,
    fake: FakeSlack,
    users: Sequence[str],
    quiz_answers: Sequence[int],
    *,
    on_go: Callable[[], None] | None = None,
) -> list[Learner]:
    """Every user takes lesson 1 at once; returns when all are done (or gave up)
    and the bot is idle. ``on_go`` runs just before the learners are let go (the
    benchmark starts its clocks there)."""
    players = [Learner(user, harness, fake, quiz_answers) for user in users]
    go = threading.Barrier(len(players) + 1)
    threads = [
        threading.Thread(target=p.take_lesson_1, args=(go,), name=p.user, daemon=True)
        for p in players
    ]
    for t in threads:
        t.start()
    if on_go is not None:
        on_go()
    go.wait()
    for t in threads:
        t.join()
    harness.settle()  # the last job has posted its last message
    return players


def stuck(harness: BotHarness, fake: FakeSlack, players: Sequence[Learner]) -> list[str]:
    """What is wrong after a round: each learner who did not finish (with the
    evidence), each broken invariant of the bot's state, each lab still leased."""
    found = [f"{p.error}\n{p.evidence}" for p in players if p.error]
    found += harness.bot.violations(buttons=fake.live_buttons)
    found += [
        f"session {s.id} of {s.learner} is still {s.status}"
        for s in harness.bot.store.sessions()
        if s.is_open
    ]
    found += [f"lab {le.lab} is still leased" for le in harness.bot.store.leases()]
    return found
