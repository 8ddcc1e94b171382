"""What becomes of a lesson whose job failed: every failure ends as a readable
message in the lesson's thread, and the lab goes back to the pool or out of it."""

from __future__ import annotations

from hostnet.engine.errors import HostnetError, TargetError
from hostnet.engine.outcomes import PrerequisiteFailed

from . import messages as ui
from .blocks import esc
from .core import BotCore
from .flow import LessonFlow
from .pool import LabPool
from .state import Phase, Session


class SessionFailures:
    """The handlers of ``jobs.Jobs``' funnel (see :class:`~hostnet.bot.jobs.Failures`)."""

    def __init__(self, core: BotCore, flow: LessonFlow, pool: LabPool) -> None:
        self._core = core
        self._store = core.store
        self._flow = flow
        self._pool = pool

    def lab_failed(self, session_id: int, exc: HostnetError) -> None:
        s = self._core.session(session_id)
        lab = s.lab or "?"
        if self._pool.release(s) is not None:  # it held the lab: the lab is at fault
            self._pool.take_out(lab, exc)
        s = self._store.fail(s.id)
        if isinstance(exc, PrerequisiteFailed):
            head = f"Lab {lab} is not ready for this lesson:"
        elif isinstance(exc, TargetError):
            head = f"Lab {lab} cannot be reached:"
        else:
            head = f"Lab {lab} has a problem:"
        lesson = self._core.lesson_of(s, lab=False)
        text, blocks = ui.problem(f"{head} {exc.message}", exc.hint)
        blocks.append(
            ui.context(
                f"I gave {esc(lab)} back and took it out of service for a while. "
                f"`/hostnet start {lesson.number}` starts again on another lab."
            )
        )
        self._core.post(s, (text, blocks))
        self._flow.serve_queue()

    def failed(self, session_id: int, exc: HostnetError) -> None:
        s = self._core.session(session_id)
        self._pool.release(s)
        s = self._store.fail(s.id) if s.is_open else self._store.unclaim(s.id)
        self._core.post(s, ui.problem(exc.message, exc.hint))
        self._flow.serve_queue()

    def reoffer(self, session_id: int, exc: BaseException) -> None:
        """After a bug: say so, and give the learner live buttons again."""
        s = self._core.session(session_id)
        if not s.is_open:
            self._store.unclaim(s.id)
            return
        first = str(exc).splitlines()[0] if str(exc) else ""
        what = f"{type(exc).__name__}: {first}"
        self.reoffer_with(s, f"⚠️ Something went wrong on my side ({what[:300]}). Please try again.")

    def resume_interrupted(self, s: Session, note: str) -> None:
        """After a restart: the step message that said "running…" says it was cut
        short (its result is lost, the command is not run again), then live buttons."""
        if s.phase is Phase.STEP and s.message_ts:
            lesson = self._core.lesson_of(s)
            status = "⚠️ interrupted: the bot restarted while this step ran"
            self._core.update(s, s.message_ts, ui.step_status(lesson, s.step_index, status))
        self.reoffer_with(s, note)

    def reoffer_with(self, s: Session, note: str) -> None:
        if s.phase is Phase.STEP:
            self._flow.offer_step(s, s.step_index, fresh=False, note=note)
        elif s.phase is Phase.QUIZ:
            self._core.post(s, (note, [ui.context(note)]))
            self._flow.offer_quiz(s, s.quiz_index)
        else:  # begin: nothing to offer; the lab goes back
            self.failed(s.id, HostnetError(note))
