"""A lesson as Markdown (handouts, docs, ``docker hostnet show``)."""

from __future__ import annotations

from .checks import Check
from .model import Lesson
from .netmap.mermaid import lesson_diagram


def lesson_markdown(lesson: Lesson) -> str:
    lines = [f"# Lesson {lesson.number}: {lesson.title}", "", lesson.summary.strip(), ""]
    meta = [f"About {lesson.duration_minutes} minutes."]
    if lesson.source:
        meta.append(f"Source: <{lesson.source}>")
    lines += [" ".join(meta), ""]
    if lesson.concepts:
        lines += ["## Key points", ""]
        lines += [f"- **{c.title}.** {_flat(c.text)}" for c in lesson.concepts]
        lines.append("")
    diagram = lesson_diagram(lesson)
    if diagram is not None:
        lines += ["## What you will build", "", "```mermaid", diagram.rstrip("\n"), "```", ""]
    if lesson.prerequisites:
        lines += ["## Before you start", ""]
        lines += [f"- {_sentence(check)}" for check in lesson.prerequisites]
        lines.append("")
    if lesson.setup:
        lines += ["## Starting state", "", "The lesson begins by running:", "", "```console"]
        lines += [f"$ {c}" for c in lesson.setup] + ["```", ""]
    lines += ["## Steps", ""]
    for number, step in enumerate(lesson.steps, start=1):
        challenge = " (challenge)" if step.challenge else ""
        lines += [f"### {number}. {step.title}{challenge}", ""]
        if step.predict is not None:
            lines += [f"**Predict first:** {_flat(step.predict.question)}", ""]
            lines += [f"- {_flat(choice)}" for choice in step.predict.choices] + [""]
        lines += [("**Goal:** " if step.challenge else "") + _flat(step.explanation), ""]
        if step.challenge:
            lines += ["<details><summary>One way to do it</summary>", ""]
            lines += ["```console", f"$ {step.command}", "```", "", "</details>", ""]
        else:
            lines += ["```console", f"$ {step.command}", "```", ""]
        if step.predict is not None:
            right = step.predict.choices[step.predict.answer - 1]
            lines += ["<details><summary>What you will see</summary>", ""]
            lines += [f"{_flat(right)}: {_flat(step.predict.explanation)}", "", "</details>", ""]
        lines += ["What is verified:", ""]
        lines += [f"- {_sentence(check)}" for check in step.checks]
        lines.append("")
        if step.hints:
            lines += ["Hints:", ""] + [f"- {_flat(h)}" for h in step.hints] + [""]
    if lesson.quiz:
        lines += ["## Knowledge check", ""]
        for number, q in enumerate(lesson.quiz, start=1):
            lines += [f"{number}. {_flat(q.question)}", ""]
            lines += [f"   - {_flat(choice)}" for choice in q.choices]
            lines.append("")
        lines += ["<details><summary>Answers</summary>", ""]
        for number, q in enumerate(lesson.quiz, start=1):
            lines.append(f"{number}. {_flat(q.choices[q.answer - 1])}: {_flat(q.explanation)}")
        lines += ["", "</details>", ""]
    if lesson.cleanup:
        lines += ["## Clean up", "", "```console"] + [f"$ {c}" for c in lesson.cleanup]
        lines += ["```", ""]
    return "\n".join(lines)


def _sentence(check: Check) -> str:
    text = check.describe()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?")) else ".")


def _flat(text: str) -> str:
    return " ".join(text.split())
