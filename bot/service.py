"""What the bot does, apart from how Slack delivers it: the listeners call in here.

A lesson runs in a Slack thread as a small state machine kept in SQLite
(``store.py``): begin (lease a lab, check prerequisites, take snapshots) → one
message per step (Run / Hint / Skip) → knowledge check → summary. Each click
is claimed atomically (``BotStore.claim``) and the work on the lab runs on
``workers``, a bounded pool apart from bolt's listener threads, so acks are
never starved. The engine's :class:`~hostnet.engine.runner.Runner` does every
run and every verdict; this module only decides which step is next and what to
post. Only commands from lesson files run, chosen by step index: nothing a user
types reaches a shell.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_sdk.errors import SlackApiError

from hostnet.engine.errors import (
    EnvironmentProblem,
    HostnetError,
    LessonError,
    ProgressError,
    TargetError,
)
from hostnet.engine.loader import find_lesson, load_all
from hostnet.engine.model import Lesson
from hostnet.engine.progress import ProgressStore
from hostnet.engine.session import LessonSession, PrerequisiteFailed
from hostnet.engine.targets import Target

from . import blocks as ui
from . import reports
from .blocks import Message
from .config import BotConfig, ConfigError
from .labs import OpenTarget, open_target
from .slack import Slack, api_error
from .store import OPEN, BotStore, Session

log = logging.getLogger(__name__)
Reply = Callable[[Message], None]

EVENT_MEMORY = 24 * 3600  # Slack retries within minutes; keep event ids for a day


def parse_command(text: str) -> tuple[str, str]:
    """``"start lesson 1"`` → ``("start", "1")``; empty → ``("help", "")``."""
    words = text.split()
    if not words:
        return "help", ""
    verb, rest = words[0].lower(), words[1:]
    if verb == "start" and rest and rest[0].lower() == "lesson":
        rest = rest[1:]
    return verb, " ".join(rest)


class Service:
    def __init__(
        self,
        config: BotConfig,
        slack: Slack,
        workers: Executor,
        *,
        store: BotStore | None = None,
        progress: ProgressStore | None = None,
        open_target: OpenTarget = open_target,
    ) -> None:
        self.config = config
        self.slack = slack
        self.workers = workers
        self.store = store or BotStore(config.database)
        self.progress = progress or ProgressStore(config.database)
        self.open_target = open_target
        self._targets: dict[str, Target] = {}
        self._target_locks: dict[str, threading.Lock] = {}
        self._targets_lock = threading.Lock()
        self._lessons: dict[tuple[str, str | None], Lesson] = {}
        self._queue_lock = threading.Lock()
        self._stop = threading.Event()
        self._janitor: threading.Thread | None = None

    # ================================================================ entry points

    def command(
        self, user: str, channel: str, text: str, reply: Reply | None = None
    ) -> Message | None:
        """``/hostnet …``: the reply only the caller sees (None: nothing to say).

        Runs on a listener thread after the ack: only quick database work and
        unpaced calls here; anything that posts in a channel is a job.
        """
        refusal = self._refusal(user, channel)
        if refusal is not None:
            return refusal
        verb, arg = parse_command(text)
        if verb == "help":
            return ui.help_message()
        if verb == "lessons":
            return reports.lessons(self, user)
        if verb == "start":
            return self.start(user, channel, arg, reply)
        if verb == "stop":
            return self.stop(user)
        if verb == "labs":
            return reports.labs(self)
        if verb == "progress":
            if not self.config.is_instructor(user):
                return ui.problem(
                    "`/hostnet progress` is for the workshop's instructors.", title="🔒"
                )
            return reports.progress(self)
        return ui.help_message(f"I don't know `{ui.esc(verb[:30])}`.")

    def mention(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        ts: str,
        thread_ts: str | None = None,
        event_id: str | None = None,
    ) -> None:
        """``@hostnet start lesson 1``: the same commands; replies only the caller sees."""
        if event_id is not None and not self.store.first_time(event_id):
            log.info("event %s was handled before (a retry): ignored", event_id)
            return
        words = [w for w in text.split() if not (w.startswith("<@") and w.endswith(">"))]

        def reply(message: Message) -> None:
            self.slack.ephemeral(channel, user, *message, thread_ts=thread_ts)

        answer = self.command(user, channel, " ".join(words), reply)
        if answer is not None:
            reply(answer)

    def click(self, user: str, channel: str, action_id: str, value: str, message_ts: str) -> None:
        """A button of one of the bot's messages."""
        refusal = self._refusal(user, channel)
        if refusal is not None:
            self.slack.ephemeral(channel, user, refusal[0], refusal[1])
            return
        try:
            # Our buttons carry "session:turn[:choice]", small numbers; anything
            # else (20 digits would overflow SQLite's INTEGER) is not ours.
            parts = value.split(":")
            if not all(p.isascii() and p.isdigit() and len(p) <= 12 for p in parts):
                raise ValueError(value)
            numbers = [int(part) for part in parts]
            session_id, turn = numbers[0], numbers[1]
        except (ValueError, IndexError):
            log.warning("ignored a click with an unexpected value %r", value)
            return
        session = self.store.get(session_id)
        if session is None:
            self.slack.ephemeral(channel, user, "That lesson no longer exists.")
            return
        if session.learner != user:
            self.slack.ephemeral(
                channel,
                user,
                f"This is {ui.mention(session.learner)}'s lesson, on their lab. "
                "Start your own with `/hostnet start 1`.",
                thread_ts=session.thread_ts,
            )
            return
        if action_id == ui.RUN:
            self._click_step(session, turn, message_ts, skip=False)
        elif action_id == ui.SKIP:
            self._click_step(session, turn, message_ts, skip=True)
        elif action_id == ui.HINT:
            self._click_hint(session, turn)
        elif action_id.startswith(ui.QUIZ + ".") and len(numbers) == 3:
            self._click_quiz(session, turn, numbers[2], message_ts)
        else:
            log.warning("ignored unknown action %r", action_id)

    # ================================================================ commands

    def start(
        self, user: str, channel: str, ref: str, reply: Reply | None = None
    ) -> Message | None:
        """Queue the learner or lease a lab; the lesson message is posted by a job.

        ``reply`` tells the learner about a failure later on (the slash command's
        ``respond``: it works even in a channel the bot is not in).
        """
        if not ref:
            return ui.problem(
                "Which lesson? For example `/hostnet start 1` (`/hostnet lessons` lists them)."
            )
        try:
            lesson = self.lesson(find_lesson(ref[:64]).id, None)
        except LessonError as exc:
            return ui.problem(str(exc).split("\nhint:")[0], exc.hint)
        self._close_finished_quiz(user)
        session = self.store.create_session(user, channel, lesson.id)
        if session is None:
            current = self.store.open_session(user)
            where = self._thread_link(current) if current else "another thread"
            return ui.problem(
                f"You already have a lesson going ({where}). Finish it, or `/hostnet stop` it first."
            )
        self.store.acquire(session.id, user, self._lab_names())
        self._submit(session.id, self._open_job, session.id, reply)
        return None

    def stop(self, user: str) -> Message:
        session = self.store.open_session(user)
        if session is None:
            return ui.problem("You have no lesson going and are not in the queue.", title="ℹ️")
        ended = self.store.end(session.id, "stopped")
        if ended is None:
            return ui.problem(
                "Your lab is busy with a step (or getting ready); stop again once it is done."
            )
        text = (
            "You left the queue."
            if session.status == "queued"
            else f"Lesson stopped by {ui.mention(user)}."
        )
        self._submit(ended.id, self._end_job, ended.id, text)
        return ui.problem("Stopping your lesson; see its thread.", title="ℹ️")

    # ================================================================ clicks

    def _click_step(self, session: Session, turn: int, message_ts: str, *, skip: bool) -> None:
        claimed = self.store.claim(session.id, turn, "step")
        if claimed is None:
            self._stale(session, turn)
            return
        lesson = self.lesson(claimed.lesson, claimed.lab)
        status = "↷ skipped" if skip else f"⏳ running on *{ui.esc(claimed.lab or '?')}*…"
        self._update(claimed, message_ts, ui.step_status(lesson, claimed.step_index, status))
        job = self._skip_job if skip else self._run_job
        self._submit(claimed.id, job, claimed.id, message_ts)

    def _click_hint(self, session: Session, turn: int) -> None:
        number = self.store.next_hint(session.id, turn)
        if number is None:
            self._stale(session, turn)
            return
        step = self.lesson(session.lesson, session.lab).steps[session.step_index]
        text = step.hints[number - 1] if number <= len(step.hints) else None
        self.workers.submit(self._post_quietly, session, ui.hint(number, len(step.hints), text))

    def _click_quiz(self, session: Session, turn: int, choice: int, message_ts: str) -> None:
        claimed = self.store.claim(session.id, turn, "quiz")
        if claimed is None:
            self._stale(session, turn)
            return
        self._submit(claimed.id, self._quiz_job, claimed.id, choice, message_ts)

    def _stale(self, session: Session, turn: int) -> None:
        """A click that lost the claim: a double click (say nothing) or an old button."""
        session = self.store.get(session.id) or session  # as it is now, after the claim
        if session.turn == turn and session.state == "running":
            return
        text = (
            "That lesson is over; `/hostnet start N` starts a new one."
            if not session.is_open
            else "That button belongs to an earlier message: use the latest one in the thread."
        )
        self.slack.ephemeral(session.channel, session.learner, text, thread_ts=session.thread_ts)

    # ================================================================ jobs (on workers)

    def _open_job(self, session_id: int, reply: Reply | None) -> None:
        """Post the lesson message in the channel, then begin (or say the learner waits)."""
        s = self._session(session_id)
        lesson = self.lesson(s.lesson, None)
        try:
            thread_ts = self.slack.post(s.channel, *ui.intro(lesson, s.learner))
        except SlackApiError as exc:
            self.store.release(s.id)
            self.store.update(s.id, status="failed", state="ready", finished_at=time.time())
            problem = ui.problem(
                f"I cannot post in this channel ({api_error(exc)}).",
                "invite me first: `/invite @hostnet`",
            )
            if reply is not None:
                reply(self.clean(problem))
            else:
                self.slack.ephemeral(s.channel, s.learner, *problem)
            self._serve_queue()
            return
        s = self.store.update(s.id, thread_ts=thread_ts)
        if s.status == "active":
            self._begin_job(s.id, False)
            return
        position = len(self.store.sessions("status = 'queued' AND id <= ?", (s.id,)))
        self._post(s, ui.queued(s.learner, position, len(self.config.labs)))
        self._serve_queue()  # a lab may have come free meanwhile

    def _begin_job(self, session_id: int, served: bool) -> None:
        s = self._session(session_id)
        assert s.lab is not None
        lesson = self.lesson(s.lesson, s.lab)
        if served:
            self._post(s, ui.served(s.learner, s.lab))
        self._session_of(s, lesson, self._target(s.lab)).start()
        self._post(s, ui.concepts(lesson, s.lab))
        self._offer_step(s, 0, fresh=True)

    def _run_job(self, session_id: int, message_ts: str) -> None:
        s = self._session(session_id)
        assert s.lab is not None
        lesson = self.lesson(s.lesson, s.lab)
        index = s.step_index
        transcript = ui.Transcript()
        session = self._session_of(s, lesson, self._target(s.lab), transcript)
        session.resume()  # (snapshots lost, the database reset: counting starts now)
        outcome = session.run_step(index)
        passed = outcome.passed
        took = f" ({outcome.command.duration:.1f} s)" if outcome.command else ""
        status = (
            f"✓ passed on *{ui.esc(s.lab)}*{took}"
            if passed
            else f"✗ failed on *{ui.esc(s.lab)}*{took}: see below"
        )
        self._update(s, message_ts, ui.step_status(lesson, index, status))
        self._post(s, ui.result(lesson, index, s.lab, transcript))
        if passed:
            s = self.store.update(s.id, passed=s.passed + 1)
            self._advance(s)
        else:
            s = self.store.update(s.id, failures=s.failures + 1)
            self._offer_step(s, index, fresh=False, note=f"Step {index + 1} again")

    def _skip_job(self, session_id: int, message_ts: str) -> None:
        s = self._session(session_id)
        lesson = self.lesson(s.lesson, s.lab)
        self._session_of(s, lesson).skip_step(s.step_index)
        s = self.store.update(s.id, skipped=s.skipped + 1)
        self._advance(s)

    def _quiz_job(self, session_id: int, choice: int, message_ts: str) -> None:
        s = self._session(session_id)
        lesson = self.lesson(s.lesson, s.lab)
        index = s.quiz_index
        if not 1 <= choice <= len(lesson.quiz[index].choices):
            self.store.update(s.id, state="ready")
            return
        transcript = ui.Transcript()
        correct = self._session_of(s, lesson, emit=transcript).answer_quiz(index, choice).correct
        assert transcript.quiz is not None
        self._update(s, message_ts, ui.quiz_answered(lesson, transcript.quiz))
        s = self.store.update(s.id, quiz_correct=s.quiz_correct + int(correct))
        if index + 1 < len(lesson.quiz):
            self._offer_quiz(s, index + 1)
        else:
            self._finish(s)

    def _end_job(self, session_id: int, text: str) -> None:
        """Stop or expiry: clean the lab, give it back, say so in the thread."""
        s = self._session(session_id)
        note = self._clean_and_release(s)
        message = f"{text} {note}".strip()
        if message:
            self._post(s, (message, [ui.section(message)]))
        self.store.update(s.id, state="ready")

    # ================================================================ flow

    def _advance(self, s: Session) -> None:
        lesson = self.lesson(s.lesson, s.lab)
        if s.step_index + 1 < len(lesson.steps):
            self._offer_step(s, s.step_index + 1, fresh=True)
            return
        note = self._clean_and_release(s)
        if lesson.quiz:
            self._post(s, ("All steps done.", [ui.section(f"*All steps done.* {note}")]))
            self._offer_quiz(s, 0)
        else:
            self._finish(s, note)

    def _offer_step(self, s: Session, index: int, *, fresh: bool, note: str | None = None) -> None:
        """Post step ``index`` with live buttons (a new turn)."""
        now = time.time()
        values: dict[str, Any] = {
            "phase": "step",
            "step_index": index,
            "turn": s.turn + 1,
            "state": "ready",
            "last_active": now,
        }
        if fresh:
            values.update(hints_shown=0, failures=0, step_started_at=now)
        s = self.store.update(s.id, **values)
        lesson = self.lesson(s.lesson, s.lab)
        ts = self._post(s, ui.step(lesson, index, s.id, s.turn, s.lab or "?", note=note))
        self.store.update(s.id, message_ts=ts)

    def _offer_quiz(self, s: Session, index: int) -> None:
        s = self.store.update(
            s.id,
            phase="quiz",
            quiz_index=index,
            turn=s.turn + 1,
            state="ready",
            last_active=time.time(),
        )
        lesson = self.lesson(s.lesson, s.lab)
        ts = self._post(s, ui.quiz_question(lesson, index, s.id, s.turn))
        self.store.update(s.id, message_ts=ts)

    def _finish(self, s: Session, note: str | None = None) -> None:
        lesson = self.lesson(s.lesson, s.lab)
        now = time.time()
        s = self.store.update(s.id, status="finished", phase="done", state="ready", finished_at=now)
        self._post(
            s,
            ui.summary(
                lesson,
                passed=s.passed,
                skipped=s.skipped,
                quiz_correct=s.quiz_correct,
                elapsed=now - (s.started_at or s.created_at),
                lab_note=note or f"Your lab {s.lab} was cleaned up and given back.",
            ),
        )

    def _clean_and_release(self, s: Session) -> str:
        """Run the lesson's cleanup on the session's leased lab, then release it."""
        lease = next((le for le in self.store.leases() if le.session_id == s.id), None)
        if lease is None:
            return ""
        lab = lease.lab
        transcript = ui.Transcript()
        try:
            lesson = self.lesson(s.lesson, lab)
            self._session_of(s, lesson, self._target(lab), transcript).cleanup()
            note = ui.cleaned(lab, transcript.cleanup)
        except HostnetError as exc:
            log.warning("cleanup on %s failed: %s", lab, exc)
            self._drop_target(lab)
            self._mark_down(lab, exc)
            note = (
                f"The cleanup on {ui.esc(lab)} failed ({ui.esc(str(exc).splitlines()[0])}); "
                "the lab is out of service until an instructor has looked at it."
            )
        self.store.release(s.id)
        self._serve_queue()
        return note

    def _serve_queue(self) -> None:
        """Give free labs to the learners waiting longest, and tell them."""
        with self._queue_lock:
            for s in self.store.sessions("status = 'queued' AND thread_ts IS NOT NULL"):
                if self.store.acquire(s.id, s.learner, self._lab_names()) is not None:
                    self._submit(s.id, self._begin_job, s.id, True)
                elif self._free_labs() == 0:
                    break  # (else this learner left the queue meanwhile)

    def _close_finished_quiz(self, user: str) -> None:
        """A learner who starts anew while at the knowledge check leaves it."""
        s = self.store.open_session(user)
        if s is not None and s.phase == "quiz":
            self.store.end(s.id, "finished")
            self.store.update(s.id, state="ready")

    # ================================================================ errors

    def _submit(self, session_id: int, job: Callable[..., None], *args: Any) -> None:
        self.workers.submit(self._guarded, session_id, job, *args)

    def _guarded(self, session_id: int, job: Callable[..., None], *args: Any) -> None:
        """Every failure of a job ends as a readable message in the lesson's thread."""
        try:
            job(*args)
        except ProgressError as exc:  # the database, not the lab: keep the lab in service
            self._report(self._failed, session_id, exc)
        except (TargetError, EnvironmentProblem) as exc:  # the lab (prerequisites included)
            self._report(self._lab_failed, session_id, exc)
        except HostnetError as exc:  # a lesson that no longer loads, the database, …
            self._report(self._failed, session_id, exc)
        except SlackApiError as exc:
            log.error("Slack refused a call for session %s: %s", session_id, api_error(exc))
            self._report(self._reoffer, session_id, exc)
        except Exception as exc:
            log.exception("bug while handling session %s", session_id)
            self._report(self._reoffer, session_id, exc)

    def _report(self, handler: Callable[[int, Exception], None], sid: int, exc: Exception) -> None:
        try:
            handler(sid, exc)
        except Exception:
            log.exception("could not report a failure of session %s", sid)

    def _lab_failed(self, session_id: int, exc: Exception) -> None:
        s = self._session(session_id)
        lab = s.lab or "?"
        if self.store.release(s.id) is not None:  # it held the lab: the lab is at fault
            self._drop_target(lab)
            self._mark_down(lab, exc)
        s = self.store.update(s.id, status="failed", state="ready", finished_at=time.time())
        message = str(exc).split("\nhint:")[0]
        hint = getattr(exc, "hint", None)
        if isinstance(exc, PrerequisiteFailed):
            head = f"Lab {lab} is not ready for this lesson:"
        elif isinstance(exc, TargetError):
            head = f"Lab {lab} cannot be reached:"
        else:
            head = f"Lab {lab} has a problem:"
        lesson = self.lesson(s.lesson, None)
        text, blocks = ui.problem(f"{head} {message}", hint)
        blocks.append(
            ui.context(
                f"I gave {ui.esc(lab)} back and took it out of service for a while. "
                f"`/hostnet start {lesson.number}` starts again on another lab."
            )
        )
        self._post(s, (text, blocks))
        self._serve_queue()

    def _failed(self, session_id: int, exc: Exception) -> None:
        s = self._session(session_id)
        self.store.release(s.id)
        s = self.store.update(s.id, status="failed", state="ready", finished_at=time.time())
        self._post(s, ui.problem(str(exc).split("\nhint:")[0], getattr(exc, "hint", None)))
        self._serve_queue()

    def _reoffer(self, session_id: int, exc: Exception) -> None:
        """After a bug: say so, and give the learner live buttons again."""
        s = self._session(session_id)
        if not s.is_open:
            self.store.update(s.id, state="ready")
            return
        what = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        note = f"⚠️ Something went wrong on my side ({what[:300]}). Please try again."
        self._reoffer_with(s, note)

    def _resume_interrupted(self, s: Session, note: str) -> None:
        """After a restart: the step message that said "running…" says it was cut
        short (its result is lost, the command is not run again), then live buttons."""
        if s.phase == "step" and s.message_ts:
            lesson = self.lesson(s.lesson, s.lab)
            status = "⚠️ interrupted: the bot restarted while this step ran"
            self._update(s, s.message_ts, ui.step_status(lesson, s.step_index, status))
        self._reoffer_with(s, note)

    def _reoffer_with(self, s: Session, note: str) -> None:
        if s.phase == "step":
            self._offer_step(s, s.step_index, fresh=False, note=note)
        elif s.phase == "quiz":
            self._post(s, (note, [ui.context(note)]))
            self._offer_quiz(s, s.quiz_index)
        else:  # begin: nothing to offer; the lab goes back
            self._failed(s.id, HostnetError(note))

    def _mark_down(self, lab: str, exc: Exception) -> None:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        self.store.mark_down(lab, self.config.lab_retry_minutes * 60, reason)

    # ================================================================ background

    def recover(self) -> None:
        """After a restart: finish what was interrupted, offer live buttons again."""
        for s in self.store.sessions("status IN ('queued', 'active') AND thread_ts IS NULL"):
            self._submit(s.id, self._open_job, s.id, None)  # its lesson message was never posted
        for s in self.store.sessions("state = 'running'"):
            if s.is_open and s.thread_ts is None:
                continue  # (just above)
            if s.is_open and s.phase == "begin":
                self._submit(s.id, self._begin_job, s.id, False)
            elif s.is_open:
                n = s.step_index + 1
                note = (
                    f"The bot restarted while step {n} was running; its result was lost."
                    if s.phase == "step"
                    else "The bot restarted while checking your answer."
                )
                self._submit(s.id, self._resume_interrupted, s, note)
            else:
                self._submit(s.id, self._end_job, s.id, "")
        for lease in self.store.leases():  # held by a session that ended meanwhile
            owner = self.store.get(lease.session_id)
            if owner is None:
                self.store.release(lease.session_id)
            elif owner.status not in OPEN and owner.state != "running":
                self._submit(owner.id, self._end_job, owner.id, "")
        self._serve_queue()

    def tick(self, now: float | None = None) -> None:
        """Expire idle leases (cleaning their labs), serve the queue, forget old events."""
        now = time.time() if now is None else now
        cutoff = now - self.config.lease_idle_minutes * 60
        for s in self.store.sessions(
            "status = 'active' AND phase IN ('begin', 'step') AND state = 'ready'"
            " AND last_active < ?",
            (cutoff,),
        ):
            ended = self.store.end(s.id, "expired", idle_since=cutoff)
            if ended is not None:
                lesson = self.lesson(s.lesson, s.lab)
                text = (
                    f"{ui.mention(s.learner)} your lease on {s.lab} expired after "
                    f"{self.config.lease_idle_minutes:g} min without activity. "
                    f"`/hostnet start {lesson.number}` starts the lesson again."
                )
                self._submit(ended.id, self._end_job, ended.id, text)
        self.store.forget_events(now - EVENT_MEMORY)
        self._serve_queue()

    def start_janitor(self, interval: float = 30.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.tick()
                except Exception:
                    log.exception("janitor")

        self._janitor = threading.Thread(target=loop, name="hostnet-janitor", daemon=True)
        self._janitor.start()

    def close(self) -> None:
        self._stop.set()
        with self._targets_lock:
            targets, self._targets = self._targets, {}
        for target in targets.values():
            try:
                target.close()
            except Exception:
                log.exception("closing %s", target.name)

    # ================================================================ helpers

    def validate(self) -> None:
        """At startup: every lesson loads with the configured variables."""
        lessons = load_all()
        declared = {name for lesson in lessons for name in lesson.variables}
        for lab in (None, *self.config.labs):
            values = self.config.variables if lab is None else lab.variables
            where = "variables" if lab is None else f"labs[{lab.name}].variables"
            for name in values:
                if name not in declared:
                    raise ConfigError(
                        f"{where}.{name}: no lesson has this variable",
                        hint=f"the lessons' variables: {', '.join(sorted(declared)) or 'none'}",
                    )
        for lesson in lessons:
            for lab in self.config.labs:
                self.lesson(lesson.id, lab.name)

    def _refusal(self, user: str, channel: str) -> Message | None:
        if not self.config.user_allowed(user):
            return ui.problem(
                "Sorry, you are not on this bot's list of learners, so I cannot run lessons "
                f"for you. Ask your instructor to add your Slack member ID ({user}).",
                title="🔒",
            )
        if not self.config.channel_allowed(channel):
            channels = ", ".join(f"<#{c}>" for c in self.config.allowed_channels)
            return ui.problem(
                f"Sorry, I only run lessons in the workshop channel{'s' if len(self.config.allowed_channels) > 1 else ''}: {channels}.",
                title="🔒",
            )
        return None

    def _session(self, session_id: int) -> Session:
        s = self.store.get(session_id)
        if s is None:
            raise HostnetError(f"session {session_id} vanished from the database")
        return s

    def lesson(self, lesson_id: str, lab: str | None) -> Lesson:
        """The lesson with the configured variables (the lab's own override the global ones)."""
        key = (lesson_id, lab)
        if key not in self._lessons:
            base = find_lesson(lesson_id)
            values = dict(self.config.variables)
            if lab is not None:
                with contextlib.suppress(KeyError):  # a lab no longer configured
                    values.update(self.config.lab(lab).variables)
            values = {k: v for k, v in values.items() if k in base.variables}
            self._lessons[key] = find_lesson(lesson_id, values=values) if values else base
        return self._lessons[key]

    def _session_of(
        self,
        s: Session,
        lesson: Lesson,
        target: Target | None = None,
        emit: Callable[[Any], None] | None = None,
    ) -> LessonSession:
        return LessonSession(lesson, target, emit=emit, progress=self.progress, learner=s.learner)

    def _target(self, lab: str) -> Target:
        """The lab's one connection, opened on first use and reused."""
        with self._targets_lock:
            if lab in self._targets:
                return self._targets[lab]
            lock = self._target_locks.setdefault(lab, threading.Lock())
        with lock:
            with self._targets_lock:
                if lab in self._targets:
                    return self._targets[lab]
            try:
                config = self.config.lab(lab)
            except KeyError:
                raise TargetError(f"lab {lab} is no longer in the bot's configuration") from None
            target = self.open_target(config)
            with self._targets_lock:
                self._targets[lab] = target
            return target

    def _drop_target(self, lab: str) -> None:
        with self._targets_lock:
            target = self._targets.pop(lab, None)
        if target is not None:
            try:
                target.close()
            except Exception:
                log.exception("closing %s", lab)

    def _lab_names(self) -> list[str]:
        return [lab.name for lab in self.config.labs]

    def _free_labs(self) -> int:
        held = {lease.lab for lease in self.store.leases()}
        down = self.store.labs_down()
        return sum(1 for name in self._lab_names() if name not in held and name not in down)

    def _post(self, s: Session, message: Message) -> str:
        text, blocks = message
        return self.slack.post(s.channel, text, blocks, thread_ts=s.thread_ts)

    def _post_quietly(self, s: Session, message: Message) -> None:
        try:
            self._post(s, message)
        except SlackApiError as exc:
            log.warning("cannot post in %s: %s", s.channel, api_error(exc))

    def _update(self, s: Session, ts: str, message: Message) -> None:
        try:
            self.slack.update(s.channel, ts, message[0], message[1])
        except SlackApiError as exc:
            log.warning("cannot update message %s: %s", ts, api_error(exc))

    def _thread_link(self, s: Session) -> str:
        if not s.thread_ts:
            return "its thread"
        return (
            f"<https://slack.com/archives/{s.channel}/p{s.thread_ts.replace('.', '')}|its thread>"
        )

    def clean(self, message: Message) -> Message:
        """A reply as it may leave the bot (redacted)."""
        return self.slack.clean(message)
