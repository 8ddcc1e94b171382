"""Answers to ``/hostnet`` commands: help, the lessons, the labs, the workshop's progress."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hostnet.engine.model import Lesson

from .blocks import Message, bounded, context, esc, section

HELP = """\
*/hostnet* runs hands-on lessons about Docker's host network driver on a lab of your own.
• `/hostnet lessons`: the lessons and your progress
• `/hostnet start 1`: start lesson 1 (in a thread in this channel); also `@hostnet start lesson 1`
• `/hostnet stop`: end your lesson (or leave the queue) and give your lab back
• `/hostnet labs`: the labs and who holds them
• `/hostnet progress`: learners × steps, and who is stuck (instructors)
Each step is a message with *Run on my lab*, *Hint* and *Skip*: the bot runs the lesson's \
own command on your lab and verifies the result there."""


def help_message(prefix: str = "") -> Message:
    text = (prefix + "\n" if prefix else "") + HELP
    return text, [section(text)]


def lessons_list(rows: Iterable[tuple[Lesson, int, str | None]]) -> Message:
    """``(lesson, steps passed, status of an open session or None)``."""
    lines = ["*Lessons* (`/hostnet start N` starts one)"]
    for lesson, done, current in rows:
        progress = f"{done} of {len(lesson.steps)} steps passed" if done else "not started"
        if current:
            progress += f" · {current}"
        lines.append(f"*{lesson.number}.* {esc(lesson.title)}: {progress}")
    text = "\n".join(lines)
    return text, [section(text)]


def labs_status(rows: Sequence[str], queue: Sequence[str]) -> Message:
    lines = ["*Labs*", *rows]
    lines.append(
        "*Queue:* " + ", ".join(f"{n}. {u}" for n, u in enumerate(queue, start=1))
        if queue
        else "*Queue:* nobody is waiting"
    )
    text = "\n".join(lines)
    return text, [section(text)]


def progress_table(rows: Sequence[str], legend: str) -> Message:
    if not rows:
        text = "No learners yet."
        return text, [section(text)]
    blocks = [section("*Workshop progress*"), *(section(row) for row in rows), context(legend)]
    return "Workshop progress", bounded(blocks)
