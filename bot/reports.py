"""Read-only replies: the lessons with the caller's progress, the labs and who holds
them, and the instructors' table of learners by steps."""

from __future__ import annotations

import time

from . import blocks as ui
from . import replies
from .blocks import Message
from .core import BotCore
from .state import Phase, Session, Status

PROGRESS_WINDOW = 12 * 3600  # /hostnet progress shows the last 12 hours


def lessons(core: BotCore, user: str) -> Message:
    current = core.store.open_session(user)
    rows = []
    for lesson in core.catalog.all():
        done = sum(
            1 for p in core.progress.lesson(user, lesson.id).values() if p.status == "passed"
        )
        note = None
        if current is not None and current.lesson == lesson.id:
            note = "queued" if current.status is Status.QUEUED else "in progress"
        rows.append((lesson, done, note))
    return replies.lessons_list(rows)


def labs(core: BotCore) -> Message:
    leases = {lease.lab: lease for lease in core.store.leases()}
    down = core.store.labs_down()
    now = time.time()
    rows = []
    for lab in core.config.labs:
        name = f"*{ui.esc(lab.name)}*"
        if lab.name in leases:
            session = core.store.get(leases[lab.name].session_id)
            where = ""
            if session is not None:
                lesson = core.lesson_of(session)
                where = f" · lesson {lesson.number}"
                if session.phase is Phase.STEP:
                    where += f", step {session.step_index + 1} of {len(lesson.steps)}"
                where += f" · active {ui.duration(now - session.last_active)} ago"
            rows.append(f"• {name}: {ui.mention(leases[lab.name].learner)}{where}")
        elif lab.name in down:
            until, reason = down[lab.name]
            rows.append(f"• {name}: out of service until {_time(until)} ({ui.esc(reason[:200])})")
        else:
            rows.append(f"• {name}: free")
    queue = [ui.mention(s.learner) for s in core.store.queue()]
    return replies.labs_status(rows, queue)


def progress(core: BotCore) -> Message:
    now = time.time()
    latest: dict[str, Session] = {}
    for session in core.store.recent(since=now - PROGRESS_WINDOW):
        latest[session.learner] = session  # ordered by id: the newest wins
    rows = [_row(core, s, now) for s in latest.values()]
    rows += _predictions(core, {s.lesson for s in latest.values()}, now - PROGRESS_WINDOW)
    legend = (
        "✓ passed · ✗ failed · ↷ skipped · ▶ current · · not yet · "
        f"⚠️ stuck: over {core.config.stuck_minutes:g} min on a step or "
        f"{core.config.stuck_failures} failed runs"
    )
    return replies.progress_table(rows, legend)


def _row(core: BotCore, s: Session, now: float) -> str:
    lesson = core.lesson_of(s)
    recorded = core.progress.lesson(s.learner, lesson.id)
    marks = []
    for index, step in enumerate(lesson.steps):
        done = s.status is not Status.QUEUED and (
            index < s.step_index or s.phase is Phase.QUIZ or not s.is_open
        )
        if s.status is Status.ACTIVE and s.phase is Phase.STEP and index == s.step_index:
            marks.append("✗" if s.failures else "▶")
        elif done and step.id in recorded:
            marks.append({"passed": "✓", "failed": "✗", "skipped": "↷"}[recorded[step.id].status])
        else:
            marks.append("·")
    where = s.lab if s.status is Status.ACTIVE else s.status
    row = f"{ui.mention(s.learner)} · lesson {lesson.number} · {ui.esc(where or '')} · `{''.join(marks)}`"
    if s.status is Status.ACTIVE and s.phase is Phase.STEP and s.step_started_at:
        on_step = now - s.step_started_at
        row += f" · step {s.step_index + 1}: {ui.duration(on_step)}"
        if s.failures:
            row += f", {s.failures} failed run{'s' if s.failures != 1 else ''}"
        if on_step > core.config.stuck_minutes * 60 or s.failures >= core.config.stuck_failures:
            row += " · ⚠️ *stuck*"
    elif s.phase is Phase.QUIZ and s.status is Status.ACTIVE:
        row += " · knowledge check"
    elif not s.is_open:
        row += f" · {s.status}"
    return row


def _predictions(core: BotCore, lessons: set[str], since: float) -> list[str]:
    """Per question asked before a step: how many learners predicted right."""
    rows = []
    for lesson_id in sorted(lessons):
        lesson = core.catalog.lesson(lesson_id, None)
        rates = core.progress.prediction_rates(lesson_id, since=since)
        for number, step in enumerate(lesson.steps, start=1):
            if step.predict is None or step.id not in rates:
                continue
            right, total = rates[step.id]
            rows.append(
                f"🤔 lesson {lesson.number}, step {number}: “{ui.esc(step.predict.question)}” "
                f"predicted right by {right} of {total} ({round(100 * right / total)}%)"
            )
    return rows


def _time(epoch: float) -> str:
    """A time Slack shows in each reader's own time zone."""
    fallback = time.strftime("%H:%M UTC", time.gmtime(epoch))
    return f"<!date^{int(epoch)}^{{time}}|{fallback}>"
