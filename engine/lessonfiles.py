"""Where lesson files are, and the rule that two lessons never share a number.

Standard library only: ``hostnet lessons`` lists lessons from their cached
headers (:mod:`.catalog`) without importing the loader or the lesson model.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from .errors import LessonError


def lessons_dir() -> Path:
    """``$HOSTNET_LESSONS_DIR`` (lesson authors), else the lessons shipped with the package."""
    if explicit := os.environ.get("HOSTNET_LESSONS_DIR"):
        return Path(explicit)
    return Path(str(resources.files("hostnet.lessons")))


def lesson_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or lessons_dir()).glob("*.yaml"))


def check_numbers(lessons: Iterable[tuple[int, str]]) -> None:
    """Raise when two lessons (``(number, id)``) have the same number."""
    numbers: dict[int, str] = {}
    for number, lesson_id in lessons:
        if number in numbers:
            raise LessonError(
                f"lessons {numbers[number]!r} and {lesson_id!r} both have number {number}"
            )
        numbers[number] = lesson_id


def search_order(files: list[Path], ref: str) -> list[Path]:
    """The order :func:`.loader.find_lesson` reads ``files`` in: those named like ``ref`` first."""
    likely = [p for p in files if _named_like(p, ref)]
    return likely + [p for p in files if p not in likely]


def _named_like(path: Path, ref: str) -> bool:
    number, _, slug = path.stem.partition("-")
    # isdecimal, not isdigit: int() refuses "²"; and no int() of 5,000 typed digits.
    digits = ref.isascii() and ref.isdecimal() and number.isascii() and number.isdecimal()
    return (digits and ref.lstrip("0") == number.lstrip("0")) or slug == ref
