"""A lesson in a Slack thread: which message comes next, and what it says.

begin (lease a lab, check prerequisites, take baselines) → one message per step
(Run / Hint / Skip) → knowledge check → summary. Every method here runs on a
worker (``jobs.py``) after a click was claimed (``clicks.py``); the engine's
:class:`~hostnet.engine.session.LessonSession` does every run and every verdict.
Only commands from lesson files run, chosen by step index: nothing a user
types reaches a shell.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError

from hostnet.engine.errors import HostnetError
from hostnet.engine.events import Event
from hostnet.engine.model import Lesson
from hostnet.engine.session import LessonSession
from hostnet.engine.targets import Target

from . import messages as ui
from .blocks import Message, esc
from .core import BotCore
from .jobs import Jobs
from .mapshot import post_map
from .pool import LabPool
from .slack import api_error
from .state import Session, Status, Turn
from .watch import Watch

log = logging.getLogger(__name__)
Reply = Callable[[Message], None]


class LessonFlow:
    def __init__(self, core: BotCore, pool: LabPool, jobs: Jobs, watch: Watch) -> None:
        self._core = core
        self._store = core.store
        self._pool = pool
        self._jobs = jobs
        self._watch = watch

    # == starting =======================================================================

    def open(self, session_id: int, reply: Reply | None) -> None:
        """Post the lesson message in the channel, then begin (or say the learner waits)."""
        core = self._core
        s = core.session(session_id)
        lesson = core.lesson_of(s, lab=False)
        try:
            thread_ts = core.slack.post(s.channel, *ui.intro(lesson, s.learner))
        except SlackApiError as exc:
            self._pool.release(s)
            core.store.fail(s.id)
            problem = ui.problem(
                f"I cannot post in this channel ({api_error(exc)}).",
                "invite me first: `/invite @hostnet`",
            )
            if reply is not None:
                reply(core.slack.clean(problem))
            else:
                core.slack.ephemeral(s.channel, s.learner, *problem)
            self.serve_queue()
            return
        s = self._store.set_thread(s.id, thread_ts)
        if s.status is Status.ACTIVE:
            self.begin(s.id, False)
            return
        position = self._store.queue_position(s.id)
        core.post(s, ui.queued(s.learner, position, len(core.config.labs)))
        self.serve_queue()  # a lab may have come free meanwhile

    def begin(self, session_id: int, served: bool) -> None:
        """The learner has a lab: check it is ready, then the key points and step 1."""
        s = self._core.session(session_id)
        assert s.lab is not None
        if served:
            self._core.post(s, ui.served(s.learner, s.lab))
        lesson = self._core.lesson_of(s)
        self._session(s, lesson, self._core.connections.get(s.lab)).start()
        self._core.post(s, ui.concepts(lesson, s.lab))
        self.offer_step(s, 0, fresh=True)

    def serve_queue(self) -> None:
        """Give free labs to the learners waiting longest, and begin their lessons."""
        for s in self._pool.serve():
            self._jobs.submit(s.id, self.begin, s.id, True)

    # == a claimed click ================================================================

    def run(self, session_id: int, message_ts: str) -> None:
        """Run the step's command on the learner's lab; post the output and the checks.

        While it runs, the watch (``watch.py``) updates its message with the time
        elapsed, and lets it go if it outlives its time limit and the backstop.
        The "running" line goes out as the step starts, not before it: it is
        cosmetic, and waiting for it would add a round trip to Slack to every click.
        Every later line on the message waits for it, so it never overwrites one.
        """
        s = self._core.session(session_id)
        assert s.lab is not None
        lesson = self._core.lesson_of(s)
        index = s.step_index

        def status(text: str) -> None:
            self._core.update(s, message_ts, ui.step_status(lesson, index, text))

        running = threading.Thread(
            target=status, args=(f"⏳ running on *{esc(s.lab)}*…",), name="hostnet-running"
        )
        running.start()
        try:
            self._run(s, lesson, message_ts, status, running)
        finally:
            running.join()  # (before a failure's line too: failures.py)

    def _run(
        self,
        s: Session,
        lesson: Lesson,
        message_ts: str,
        status: Callable[[str], None],
        running: threading.Thread,
    ) -> None:
        assert s.lab is not None
        lab, index = s.lab, s.step_index

        def still_running(took: float) -> None:
            if not running.is_alive():  # (else the watch's next look shows it)
                status(ui.still_running(lab, took))

        def let_go(took: float) -> None:
            running.join()
            self.overdue(s, lesson, message_ts, took)

        ticket = self._watch.watch(s.id, lesson.steps[index].timeout, still_running, let_go)
        transcript = ui.Transcript()
        try:
            session = self._session(s, lesson, self._core.connections.get(lab), transcript)
            session.resume()  # (snapshots lost, the database reset: counting starts now)
            outcome = session.run_step(index)
        except Exception as exc:
            if ticket.finish():
                raise
            log.warning("step %d on %s failed after it was let go: %s", index + 1, lab, exc)
            return
        if not ticket.finish():  # the learner was told and has the step back
            self._core.post_quietly(s, ui.late_result(index, lab, ticket.elapsed, outcome.passed))
            return
        took = f" ({outcome.command.duration:.1f} s)" if outcome.command else ""
        running.join()
        status(
            f"✓ passed on *{esc(lab)}*{took}"
            if outcome.passed
            else f"✗ failed on *{esc(lab)}*{took}: see below"
        )
        self._core.post(s, ui.result(lesson, index, lab, transcript))
        if transcript.network is not None:  # a map: true step: its picture, after the result
            post_map(self._core, s, transcript.network)
        s = self._store.record_run(s.id, passed=outcome.passed)
        if outcome.passed:
            self.advance(s)
        else:
            self.offer_step(s, index, fresh=False, note=f"Step {index + 1} again")

    def overdue(self, s: Session, lesson: Lesson, message_ts: str, took: float) -> None:
        """The watch let a step go (no result within its time limit and the
        backstop): say so, naming the lab, and give the learner live buttons."""
        now = self._core.session(s.id)
        if now.turn != s.turn or now.state is not Turn.RUNNING:
            return  # (cannot happen while the job holds the claim; never offer twice)
        index, lab = s.step_index, s.lab or "?"
        limit = lesson.steps[index].timeout
        self._core.update(
            s, message_ts, ui.step_status(lesson, index, f"⚠️ no result from *{esc(lab)}*")
        )
        self._core.post(s, ui.overdue(index, lab, took, limit))
        self.offer_step(now, index, fresh=False, note=f"Step {index + 1} again")

    def predicted(self, session_id: int, message_ts: str) -> None:
        """The prediction was taken (``store.predict``): keep it, and give the step Run."""
        s = self._core.session(session_id)
        assert s.prediction is not None
        lesson = self._core.lesson_of(s)
        self._session(s, lesson).predict(s.step_index, s.prediction)
        message = ui.step(lesson, s.step_index, s.id, s.turn, s.lab or "?", predicted=s.prediction)
        self._core.update(s, message_ts, message)

    def skip(self, session_id: int, message_ts: str) -> None:
        s = self._core.session(session_id)
        assert s.lab is not None
        lesson = self._core.lesson_of(s)
        self._core.update(s, message_ts, ui.step_status(lesson, s.step_index, "↷ skipped"))
        transcript = ui.Transcript()
        lab = self._core.connections.get(s.lab)
        self._session(s, lesson, lab, transcript).skip_step(s.step_index)
        if transcript.answers:  # what the learner no longer has to find
            text = "\n".join(ui.answer_text(q, a) for q, a in transcript.answers)
            self._core.post(s, (text, [ui.section(text)]))
        self.advance(self._store.record_skip(s.id))

    def answer(self, session_id: int, choice: int, message_ts: str) -> None:
        """A knowledge-check button: judge it, then the next question or the summary."""
        s = self._core.session(session_id)
        lesson = self._core.lesson_of(s)
        index = s.quiz_index
        if not 1 <= choice <= len(lesson.quiz[index].choices):
            self._store.unclaim(s.id)
            return
        transcript = ui.Transcript()
        correct = self._session(s, lesson, emit=transcript).answer_quiz(index, choice).correct
        assert transcript.quiz is not None
        self._core.update(s, message_ts, ui.quiz_answered(lesson, transcript.quiz))
        s = self._store.record_answer(s.id, correct=correct)
        if index + 1 < len(lesson.quiz):
            self.offer_quiz(s, index + 1)
        else:
            self.finish(s)

    def hint(self, s: Session, number: int) -> None:
        """Hint ``number``; a challenge's last one is a command that works (help)."""
        hint = self._session(s, self._core.lesson_of(s)).hint(s.step_index, number)
        self._core.post_quietly(s, ui.hint(hint.number, hint.total, hint.text))

    def end(self, session_id: int, text: str) -> None:
        """Stop or expiry (already recorded): clean the lab, give it back, say so."""
        s = self._core.session(session_id)
        message = f"{text} {self.clean_and_release(s)}".strip()
        if message:
            self._core.post(s, (message, [ui.section(message)]))
        self._store.unclaim(s.id)

    # == moving on ======================================================================

    def advance(self, s: Session) -> None:
        lesson = self._core.lesson_of(s)
        if s.step_index + 1 < len(lesson.steps):
            self.offer_step(s, s.step_index + 1, fresh=True)
            return
        note = self.clean_and_release(s)
        if lesson.quiz:
            self._core.post(s, ("All steps done.", [ui.section(f"*All steps done.* {note}")]))
            self.offer_quiz(s, 0)
        else:
            self.finish(s, note)

    def offer_step(self, s: Session, index: int, *, fresh: bool, note: str | None = None) -> None:
        """Post step ``index`` with live buttons (a new turn)."""
        s = self._store.offer_step(s.id, index, fresh=fresh)
        lesson = self._core.lesson_of(s)
        message = ui.step(
            lesson, index, s.id, s.turn, s.lab or "?", note=note, predicted=s.prediction
        )
        ts = self._core.post(s, message)
        self._store.set_message(s.id, ts)

    def offer_quiz(self, s: Session, index: int) -> None:
        s = self._store.offer_quiz(s.id, index)
        ts = self._core.post(s, ui.quiz_question(self._core.lesson_of(s), index, s.id, s.turn))
        self._store.set_message(s.id, ts)

    def finish(self, s: Session, note: str | None = None) -> None:
        lesson = self._core.lesson_of(s)
        s = self._store.finish(s.id)
        elapsed = (s.finished_at or time.time()) - (s.started_at or s.created_at)
        self._core.post(
            s,
            ui.summary(
                lesson,
                passed=s.passed,
                skipped=s.skipped,
                quiz_correct=s.quiz_correct,
                elapsed=elapsed,
                lab_note=note or f"Your lab {s.lab} was cleaned up and given back.",
            ),
        )

    def clean_and_release(self, s: Session) -> str:
        """Run the lesson's cleanup on the session's leased lab, then release it."""
        lease = self._store.lease_of(s.id)
        if lease is None:
            return ""
        lab = lease.lab
        transcript = ui.Transcript()
        try:
            lesson = self._core.catalog.lesson(s.lesson, lab)
            self._session(s, lesson, self._core.connections.get(lab), transcript).cleanup()
            note = ui.cleaned(lab, transcript.cleanup)
        except HostnetError as exc:
            log.warning("cleanup on %s failed: %s", lab, exc)
            self._pool.take_out(lab, exc)
            note = (
                f"The cleanup on {esc(lab)} failed ({esc(exc.message.splitlines()[0])}); "
                "the lab is out of service until an instructor has looked at it."
            )
        self._pool.release(s)
        self.serve_queue()
        return note

    def _session(
        self,
        s: Session,
        lesson: Lesson,
        target: Target | None = None,
        emit: Callable[[Event], None] | None = None,
    ) -> LessonSession:
        return LessonSession(
            lesson, target, emit=emit, progress=self._core.progress, learner=s.learner
        )
