"""``/hostnet VERB …`` and ``@hostnet VERB …``: one handler per verb.

Each handler runs on a listener thread after the ack: only quick database work
and unpaced calls here; anything that posts in a channel is a job. It returns
the reply only the caller sees (None: nothing to say); ``reply`` reaches the
caller later (a slash command's ``respond`` works even in a channel the bot is
not in).
"""

from __future__ import annotations

from collections.abc import Callable

from hostnet.engine.errors import LessonError

from . import replies, reports
from .access import Access
from .blocks import Message, esc, problem
from .core import BotCore
from .flow import LessonFlow
from .jobs import Jobs
from .state import Phase, Status

Reply = Callable[[Message], None]
Verb = Callable[[str, str, str, Reply | None], Message | None]
"""``(user, channel, argument, reply)`` → the reply only the caller sees."""


def parse(text: str) -> tuple[str, str]:
    """``"start lesson 1"`` → ``("start", "1")``; empty → ``("help", "")``."""
    words = text.split()
    if not words:
        return "help", ""
    verb, rest = words[0].lower(), words[1:]
    if verb == "start" and rest and rest[0].lower() == "lesson":
        rest = rest[1:]
    return verb, " ".join(rest)


class Verbs:
    def __init__(self, core: BotCore, access: Access, flow: LessonFlow, jobs: Jobs) -> None:
        self._core = core
        self._store = core.store
        self._access = access
        self._flow = flow
        self._jobs = jobs
        self.handlers: dict[str, Verb] = {
            "help": self.help,
            "lessons": self.lessons,
            "start": self.start,
            "stop": self.stop,
            "labs": self.labs,
            "progress": self.progress,
        }

    def dispatch(
        self, user: str, channel: str, text: str, reply: Reply | None = None
    ) -> Message | None:
        """The caller's access, then the verb's handler (help for an unknown one)."""
        refusal = self._access.refusal(user, channel)
        if refusal is not None:
            return refusal
        verb, argument = parse(text)
        handler = self.handlers.get(verb)
        if handler is None:
            return replies.help_message(f"I don't know `{esc(verb[:30])}`.")
        return handler(user, channel, argument, reply)

    # -- the verbs ----------------------------------------------------------------------

    def help(self, user: str, channel: str, argument: str, reply: Reply | None) -> Message:
        return replies.help_message()

    def lessons(self, user: str, channel: str, argument: str, reply: Reply | None) -> Message:
        return reports.lessons(self._core, user)

    def labs(self, user: str, channel: str, argument: str, reply: Reply | None) -> Message:
        return reports.labs(self._core)

    def progress(self, user: str, channel: str, argument: str, reply: Reply | None) -> Message:
        if not self._access.is_instructor(user):
            return problem("`/hostnet progress` is for the workshop's instructors.", title="🔒")
        return reports.progress(self._core)

    def start(self, user: str, channel: str, ref: str, reply: Reply | None) -> Message | None:
        """Queue the learner or lease a lab; the lesson message is posted by a job."""
        if not ref:
            return problem(
                "Which lesson? For example `/hostnet start 1` (`/hostnet lessons` lists them)."
            )
        try:
            lesson = self._core.catalog.find(ref[:64])
        except LessonError as exc:
            return problem(exc.message, exc.hint)
        self._leave_finished_quiz(user)
        s = self._store.create(user, channel, lesson.id)
        if s is None:
            current = self._store.open_session(user)
            where = self._core.thread_link(current) if current else "another thread"
            return problem(
                f"You already have a lesson going ({where}). Finish it, or `/hostnet stop` it first."
            )
        self._store.acquire(s.id, user, [lab.name for lab in self._core.config.labs])
        self._jobs.submit(s.id, self._flow.open, s.id, reply)
        return None

    def stop(self, user: str, channel: str, argument: str, reply: Reply | None) -> Message:
        s = self._store.open_session(user)
        if s is None:
            return problem("You have no lesson going and are not in the queue.", title="ℹ️")
        ended = self._store.end(s.id, Status.STOPPED)
        if ended is None:
            return problem(
                "Your lab is busy with a step (or getting ready); stop again once it is done."
            )
        text = (
            "You left the queue." if s.status is Status.QUEUED else f"Lesson stopped by <@{user}>."
        )
        self._jobs.submit(ended.id, self._flow.end, ended.id, text)
        return problem("Stopping your lesson; see its thread.", title="ℹ️")

    def _leave_finished_quiz(self, user: str) -> None:
        """A learner who starts anew while at the knowledge check leaves it."""
        s = self._store.open_session(user)
        if s is not None and s.phase is Phase.QUIZ and self._store.end(s.id, Status.FINISHED):
            self._store.unclaim(s.id)
