"""Buttons of the bot's messages: whose click it is, whether it is still live, and
the job it starts.

A button's value is ``session:turn[:choice]``. A click is claimed atomically
(``BotStore.claim``) for the turn it was rendered with, so a double click, a
retried request or a click on an old message runs nothing twice; the work on
the lab then runs on a worker.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from . import messages as ui
from .access import Access
from .core import BotCore
from .flow import LessonFlow
from .jobs import Jobs
from .state import Phase, Session, Turn

log = logging.getLogger(__name__)
DOUBLE_CLICK = 1.5  # seconds: a second click on a running step this soon is the same click


@dataclass(frozen=True)
class Click:
    user: str
    channel: str
    value: str
    message_ts: str


class Clicks:
    def __init__(self, core: BotCore, access: Access, flow: LessonFlow, jobs: Jobs) -> None:
        self._core = core
        self._store = core.store
        self._access = access
        self._flow = flow
        self._jobs = jobs

    def run(self, click: Click) -> None:
        """*Run on my lab*."""
        self._step(click, skip=False)

    def skip(self, click: Click) -> None:
        self._step(click, skip=True)

    def hint(self, click: Click) -> None:
        found = self._session(click)
        if found is None:
            return
        s, turn, _ = found
        number = self._store.next_hint(s.id, turn)
        if number is None:
            self._stale(s, turn)
            return
        self._jobs.submit_quietly(self._flow.hint, s, number)

    def predict(self, click: Click) -> None:
        """A prediction's choice, before the step runs: taken once per turn."""
        found = self._session(click)
        if found is None:
            return
        s, turn, choice = found
        if choice is None:
            log.warning("ignored a prediction click without a choice %r", click.value)
            return
        predicted = self._store.predict(s.id, turn, choice)
        if predicted is None:
            self._stale(s, turn)
            return
        self._jobs.submit(predicted.id, self._flow.predicted, predicted.id, click.message_ts)

    def answer(self, click: Click) -> None:
        """A knowledge-check choice."""
        found = self._session(click)
        if found is None:
            return
        s, turn, choice = found
        if choice is None:
            log.warning("ignored a quiz click without a choice %r", click.value)
            return
        claimed = self._store.claim(s.id, turn, Phase.QUIZ)
        if claimed is None:
            self._stale(s, turn)
            return
        self._jobs.submit(claimed.id, self._flow.answer, claimed.id, choice, click.message_ts)

    # -- helpers --------------------------------------------------------------------------

    def _step(self, click: Click, *, skip: bool) -> None:
        found = self._session(click)
        if found is None:
            return
        s, turn, _ = found
        claimed = self._store.claim(s.id, turn, Phase.STEP)
        if claimed is None:
            self._stale(s, turn)
            return
        # Nothing between the claim and the hand-off to a guarded job: a claim
        # held with no job on it is a learner stuck in silence (issue 16). The
        # "running…" status is the job's first line.
        job = self._flow.skip if skip else self._flow.run
        self._jobs.submit(claimed.id, job, claimed.id, click.message_ts)

    def _session(self, click: Click) -> tuple[Session, int, int | None] | None:
        """The click's session and turn (and choice), if the clicker may click it."""
        refusal = self._access.refusal(click.user, click.channel)
        if refusal is not None:
            self._core.slack.ephemeral(click.channel, click.user, *refusal)
            return None
        # Our buttons carry "session:turn[:choice]", small numbers; anything else
        # (20 digits would overflow SQLite's INTEGER) is not ours.
        parts = click.value.split(":")
        if not 2 <= len(parts) <= 3 or not all(
            p.isascii() and p.isdigit() and len(p) <= 12 for p in parts
        ):
            log.warning("ignored a click with an unexpected value %r", click.value)
            return None
        numbers = [int(part) for part in parts]
        s = self._store.get(numbers[0])
        if s is None:
            self._core.slack.ephemeral(click.channel, click.user, "That lesson no longer exists.")
            return None
        if s.learner != click.user:
            self._core.slack.ephemeral(
                click.channel,
                click.user,
                f"This is {ui.mention(s.learner)}'s lesson, on their lab. "
                "Start your own with `/hostnet start 1`.",
                thread_ts=s.thread_ts,
            )
            return None
        return s, numbers[1], numbers[2] if len(numbers) == 3 else None

    def _stale(self, s: Session, turn: int) -> None:
        """A click that lost the claim: a double click (say nothing), a click on a
        step that still runs, or an old button."""
        now = self._store.get(s.id) or s  # as it is now, after the claim
        if not now.is_open:
            text = "That lesson is over; `/hostnet start N` starts a new one."
        elif now.turn == turn and now.state is Turn.RUNNING:
            if time.time() - now.last_active < DOUBLE_CLICK:
                return  # the same click twice: the first one's answer is on its way
            text = (
                f"Step {now.step_index + 1} is still running on {now.lab}; "
                "its result will appear in the thread."
                if now.phase is Phase.STEP
                else "I am still checking your previous answer."
            )
        else:
            text = "That button belongs to an earlier message: use the latest one in the thread."
        self._core.tell(now, text)
