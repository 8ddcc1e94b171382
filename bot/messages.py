"""A lesson's thread in Block Kit: the lesson, its steps with their buttons, each
result with the command's output and every check, the knowledge check, the summary.

Pure functions returning ``(fallback text, blocks)``. :class:`Transcript`
collects a lesson session's events for one step, as the terminal renderer does
in ``plugin/render.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hostnet.engine import events as ev
from hostnet.engine.checks import CheckResult
from hostnet.engine.commands import CommandResult
from hostnet.engine.model import Lesson

from .blocks import (
    HINT,
    PREDICT,
    QUIZ,
    RUN,
    SKIP,
    Block,
    Message,
    bounded,
    button,
    context,
    cut,
    duration,
    esc,
    mention,
    preformatted,
    problem,
    section,
)
from .redact import clip

# -- one step's events --------------------------------------------------------------------


@dataclass
class Transcript:
    """What the lesson session said while one step ran (or the lesson was set up / cleaned)."""

    chunks: list[str] = field(default_factory=list)
    result: CommandResult | None = None
    checks: list[CheckResult] = field(default_factory=list)
    passed: bool | None = None
    prerequisites: tuple[CheckResult, ...] = ()
    cleanup: ev.CleanupFinished | None = None
    quiz: ev.QuizAnswered | None = None
    helped: bool = False
    prediction: ev.PredictionRevealed | None = None
    answers: tuple[tuple[str, str], ...] = ()
    network: ev.NetworkMapped | None = None  # a map: true step's picture (bot/mapshot.py)

    def __call__(self, event: ev.Event) -> None:
        if isinstance(event, ev.Output):
            self.chunks.append(event.text)
        elif isinstance(event, ev.CommandFinished):
            self.result = event.result
        elif isinstance(event, ev.CheckEvaluated):
            self.checks.append(event.result)
        elif isinstance(event, ev.StepFinished):
            self.passed = event.passed
            self.helped = event.helped
        elif isinstance(event, ev.PredictionRevealed):
            self.prediction = event
        elif isinstance(event, ev.AnswersRevealed):
            self.answers = event.answers
        elif isinstance(event, ev.NetworkMapped):
            self.network = event
        elif isinstance(event, ev.PrerequisitesChecked):
            self.prerequisites = event.results
        elif isinstance(event, ev.CleanupFinished):
            self.cleanup = event
        elif isinstance(event, ev.QuizAnswered):
            self.quiz = event

    @property
    def output(self) -> str:
        """stdout and stderr interleaved as they arrived, as in a terminal."""
        if self.chunks:
            return "".join(self.chunks)
        return self.result.output if self.result else ""


# -- messages -------------------------------------------------------------------------------


def intro(lesson: Lesson, learner: str) -> Message:
    text = f"Lesson {lesson.number}: {lesson.title}"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(text, 150)}},
        section(esc(lesson.summary.strip())),
        context(
            f"{mention(learner)} is taking this lesson · {len(lesson.steps)} steps · "
            f"about {lesson.duration_minutes} min · it runs in this thread"
        ),
    ]
    return text, blocks


def queued(learner: str, position: int, labs: int) -> Message:
    text = (
        f"{mention(learner)} all {labs} lab{'s are' if labs != 1 else ' is'} in use; "
        f"you are number {position} in the queue. I will tell you here as soon as a lab "
        "is yours. (`/hostnet stop` leaves the queue.)"
    )
    return text, [section(text)]


def served(learner: str, lab: str) -> Message:
    text = f"{mention(learner)} *{esc(lab)}* is yours now. Getting it ready…"
    return text, [section(text)]


def concepts(lesson: Lesson, lab: str) -> Message:
    text = f"Key points of lesson {lesson.number}"
    blocks = [section(f"*{text}*")]
    for concept in lesson.concepts:
        blocks.append(section(f"• *{esc(concept.title)}*: {esc(concept.text.strip())}"))
    blocks.append(
        context(
            f"Your lab is *{esc(lab)}*: each step's command runs there when you click "
            "*Run on my lab*, then I verify the result on the lab itself."
        )
    )
    return text, bounded(blocks)


def _step_head(lesson: Lesson, index: int, note: str | None) -> list[Block]:
    step = lesson.steps[index]
    title = f"Step {index + 1} of {len(lesson.steps)}: {step.title}"
    blocks = []
    if note:
        blocks.append(context(note))
    if step.challenge:
        goal = f"*{esc(title)}* (a challenge)\n*Goal:* {esc(step.explanation.strip())}"
        return [*blocks, section(goal)]
    blocks += [
        section(f"*{esc(title)}*\n{esc(step.explanation.strip())}"),
        preformatted(f"$ {step.command}"),
    ]
    return blocks


def step(
    lesson: Lesson,
    index: int,
    session_id: int,
    turn: int,
    lab: str,
    *,
    note: str | None = None,
    predicted: int | None = None,
) -> Message:
    """A step with its live buttons (``value`` = ``session:turn``); a step that
    asks for a prediction shows its choices first, and Run once it is made."""
    s = lesson.steps[index]
    value = f"{session_id}:{turn}"
    blocks = _step_head(lesson, index, note)
    if s.predict is not None and predicted is None:
        choices = "\n".join(f"{n}. {esc(c)}" for n, c in enumerate(s.predict.choices, start=1))
        blocks += [
            section(f"🤔 *Predict first:* {esc(s.predict.question)}\n{choices}"),
            {
                "type": "actions",
                "block_id": f"predict-{session_id}-{turn}",
                "elements": [
                    button(f"{n}. {c}", f"{PREDICT}.{n}", f"{value}:{n}")
                    for n, c in enumerate(s.predict.choices, start=1)
                ][:25],
            },
            context("Run on my lab comes once you have predicted; the answer after the run."),
        ]
        return f"Step {index + 1}: {s.title}: predict first", bounded(blocks)
    if s.predict is not None and predicted is not None:
        blocks.append(context(f"You predicted: *{esc(s.predict.choices[predicted - 1])}*"))
    run = "Run again on my lab" if note is not None else "Run on my lab"
    blocks += [
        {
            "type": "actions",
            "block_id": f"step-{session_id}-{turn}",
            "elements": [
                button(run, RUN, value, "primary"),
                button("Hint", HINT, value),
                button("Skip", SKIP, value),
            ],
        },
        context(
            (
                "No command this time: find one that reaches the goal, on your lab. *Hint* "
                "gives one layer at a time, the last is a command that works; *Run on my "
                "lab* runs that one for you (solved with help). "
                if s.challenge
                else ""
            )
            + f"Runs on *{esc(lab)}* · time limit {s.timeout:g} s"
        ),
    ]
    return f"Step {index + 1}: {s.title}", blocks


def step_status(lesson: Lesson, index: int, status: str, *, note: str | None = None) -> Message:
    """The step message once its buttons are spent: running, passed, failed, skipped."""
    s = lesson.steps[index]
    blocks = [*_step_head(lesson, index, note), context(status)]
    return f"Step {index + 1}: {s.title}: {status}", blocks


def still_running(lab: str, seconds: float) -> str:
    """A running step's status line, updated while it runs (``watch.py``)."""
    return f"⏳ still running on *{esc(lab)}* ({seconds:.0f} s)"


def overdue(index: int, lab: str, seconds: float, limit: float) -> Message:
    """A step with no result long past its time limit: what happened, what to do."""
    text = (
        f"⚠️ Step {index + 1} has run on {lab} for {seconds:.0f} s, past its time limit "
        f"of {limit:g} s, with no result: the lab may be overloaded or stuck. "
        "I stopped waiting for it."
    )
    todo = (
        "Click *Run again on my lab* below to try once more, or *Skip*; "
        "`/hostnet stop` gives the lab back. If it happens again, tell an instructor."
    )
    return text, [section(esc(text)), context(todo)]


def late_result(index: int, lab: str, seconds: float, passed: bool) -> Message:
    """The run that was let go came back after all: it no longer counts."""
    word = "passed" if passed else "failed"
    text = (
        f"The earlier run of step {index + 1} on {lab} ended after all, after {seconds:.0f} s "
        f"({word}). It does not count: go on from the latest step message."
    )
    return text, [context(esc(text))]


def check_text(result: CheckResult) -> str:
    mark = "✓" if result.ok else "✗"
    lines = [f"{mark} {esc(result.description)}"]
    if not result.ok:
        lines += _quoted("expected", result.expected)
        lines += _quoted("observed", result.observed)
        if result.hint:
            lines += _quoted("hint", result.hint)
    if result.note:
        lines += _quoted("note", result.note)
    return "\n".join(lines)


def _quoted(label: str, text: str) -> list[str]:
    body = clip(text, max_lines=12, max_chars=900).splitlines() or [""]
    return [f">*{label}:* {esc(body[0])}", *(f">{esc(line)}" for line in body[1:])]


def result(lesson: Lesson, index: int, lab: str, transcript: Transcript) -> Message:
    step_ = lesson.steps[index]
    passed = bool(transcript.passed)
    took = f" · {transcript.result.duration:.1f} s" if transcript.result else ""
    helped = " (solved with help)" if transcript.helped else ""
    head = (
        f"✓ *Step {index + 1} passed* on {esc(lab)}{took}{helped}"
        if passed
        else f"✗ *Step {index + 1} failed* on {esc(lab)}{took}"
    )
    exit_note = ""
    if transcript.result is not None and not transcript.result.ok:
        exit_note = (
            "\n(timed out: killed)"
            if transcript.result.timed_out
            else f"\n(exit code {transcript.result.exit_code})"
        )
    output = clip(f"$ {step_.command}\n{transcript.output}") + exit_note
    blocks = [section(head), preformatted(output)]
    blocks += [section(check_text(check)) for check in transcript.checks]
    if transcript.prediction is not None:
        p = transcript.prediction
        verdict = "✓ right" if p.correct else "not quite"
        blocks.append(
            section(
                f"🤔 *{verdict}*: you predicted *{esc(p.chosen)}*; you saw *{esc(p.right)}*.\n"
                f"{esc(p.explanation)}"
            )
        )
    blocks += [section(answer_text(question, a)) for question, a in transcript.answers]
    if not passed:
        blocks.append(
            context(
                "Not yet: fix what the ✗ lines say, then *Run again*; *Hint* gives one hint "
                "at a time."
            )
        )
    word = "passed" if passed else "failed"
    return f"Step {index + 1} {word} on {lab}", bounded(blocks)


def answer_text(question: str, answer: str) -> str:
    return f"💬 {esc(question)} *{esc(answer)}*"


def hint(number: int, total: int, text: str | None) -> Message:
    if text is None:
        message = "No more hints for this step: click *Run on my lab* and read the ✗ lines."
    else:
        message = f"💡 *Hint {number} of {total}:* {esc(text)}"
    return message, [section(message)]


def quiz_question(lesson: Lesson, index: int, session_id: int, turn: int) -> Message:
    q = lesson.quiz[index]
    title = f"Knowledge check {index + 1} of {len(lesson.quiz)}"
    choices = "\n".join(f"{n}. {esc(c)}" for n, c in enumerate(q.choices, start=1))
    buttons = [
        button(f"{n}. {c}", f"{QUIZ}.{n}", f"{session_id}:{turn}:{n}")
        for n, c in enumerate(q.choices, start=1)
    ]
    blocks = [
        section(f"*{title}*\n{esc(q.question)}\n{choices}"),
        {"type": "actions", "block_id": f"quiz-{session_id}-{turn}", "elements": buttons[:25]},
    ]
    return f"{title}: {q.question}", blocks


def quiz_answered(lesson: Lesson, answer: ev.QuizAnswered) -> Message:
    q = lesson.quiz[answer.index - 1]
    title = f"Knowledge check {answer.index} of {len(lesson.quiz)}"
    picked = q.choices[answer.choice - 1]
    if answer.correct:
        verdict = f"✓ *{answer.choice}. {esc(picked)}*: right."
    else:
        right = q.choices[answer.right_choice - 1]
        verdict = (
            f"✗ You chose {answer.choice}. {esc(picked)}\n"
            f"The answer is *{answer.right_choice}. {esc(right)}*: {esc(answer.explanation)}"
        )
    blocks = [section(f"*{title}*\n{esc(q.question)}"), section(verdict)]
    return f"{title}: {'right' if answer.correct else 'not quite'}", blocks


def cleaned(lab: str, cleanup: ev.CleanupFinished | None) -> str:
    if cleanup is not None and not cleanup.ok:
        failed = [r.command for r in cleanup.results if not r.ok]
        return f"Cleanup on {esc(lab)} did not fully succeed (`{esc(failed[0])}`); the lab was given back."
    return f"What the lesson started on {esc(lab)} was removed, and the lab was given back."


def summary(
    lesson: Lesson,
    *,
    passed: int,
    skipped: int,
    quiz_correct: int,
    elapsed: float,
    lab_note: str,
) -> Message:
    total = len(lesson.steps)
    mark = "🎓" if passed == total else "🏁"
    lines = [
        f"{mark} *Lesson {lesson.number} done: {esc(lesson.title)}*",
        f"Steps verified: {passed} of {total}" + (f" ({skipped} skipped)" if skipped else ""),
    ]
    if lesson.quiz:
        lines.append(f"Knowledge check: {quiz_correct} of {len(lesson.quiz)} right")
    lines.append(f"Time taken: {duration(elapsed)}")
    text = f"Lesson {lesson.number} done: {passed} of {total} steps in {duration(elapsed)}"
    return text, [section("\n".join(lines)), context(lab_note)]


__all__ = ["Message", "context", "esc", "mention", "problem", "section"]
