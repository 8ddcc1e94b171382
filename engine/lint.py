"""Lint lesson files for authors: everything the loader refuses, plus what it allows
but a learner would trip over (empty hints, unused variables, clashing numbers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from .errors import LessonError
from .loader import load_lesson
from .yamlsource import dotted


@dataclass(frozen=True)
class Problem:
    level: Literal["error", "warning"]
    message: str  # "path:line: field: what is wrong"


def lint(paths: list[Path]) -> list[Problem]:
    problems: list[Problem] = []
    numbers: dict[int, Path] = {}
    for path in paths:
        try:
            lesson = load_lesson(path)
        except LessonError as exc:
            problems.append(Problem("error", str(exc)))
            continue
        if lesson.number in numbers:
            problems.append(
                Problem(
                    "error",
                    f"{path}: number {lesson.number} is also used by {numbers[lesson.number]}",
                )
            )
        numbers.setdefault(lesson.number, path)
        problems += _text_problems(path)
    return problems


def _text_problems(path: Path) -> list[Problem]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    problems = []
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for key, value in _walk(root) if root is not None else []:
        empty = isinstance(value, yaml.ScalarNode) and not str(value.value).strip()
        # `hint:` left out is fine (null); `hint: ""` or an empty list item is not.
        if (
            key in ("hint", "hints")
            and empty
            and (key == "hints" or value.tag != "tag:yaml.org,2002:null")
        ):
            problems.append(
                Problem("error", f"{path}:{value.start_mark.line + 1}: {key}: empty hint")
            )
    data = yaml.safe_load(text)
    for name in data.get("variables") or {}:
        if name == "probe_image" and re.search(r"^\s*-?\s*from:\s*outside\b", text, re.M):
            continue  # the loader gives it to every `from: outside` check
        if f"@{{{name}}}" not in text:
            line = next(
                (i for i, line in enumerate(lines, 1) if re.match(rf"\s+{re.escape(name)}:", line)),
                0,
            )
            field = dotted(("variables", name))  # (a name may hold any character)
            problems.append(Problem("warning", f"{path}:{line}: {field}: declared but never used"))
    return problems


def _walk(node: yaml.Node, key: str = "") -> list[tuple[str, yaml.Node]]:
    found: list[tuple[str, yaml.Node]] = [(key, node)]
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            found += _walk(v, str(k.value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _walk(item, key)
    return found
