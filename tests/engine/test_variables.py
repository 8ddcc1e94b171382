"""Built-in variables: whether a lesson uses one is read from its fields, as its JSON says."""

from __future__ import annotations

from pathlib import Path

import pytest

from hostnet.engine.lessonfiles import lesson_files
from hostnet.engine.loader import load_all, load_lesson
from hostnet.engine.model import Lesson
from hostnet.engine.variables import BUILTINS, uses_builtins


def by_json(lesson: Lesson) -> bool:
    text = lesson.model_dump_json(by_alias=True)
    return any("@{" + name + "}" in text for name in BUILTINS)


def test_every_lesson_is_judged_as_its_json_judges_it() -> None:
    lessons = load_all()
    said = [uses_builtins(lesson) for lesson in lessons]
    assert said == [by_json(lesson) for lesson in lessons]
    assert True in said and False in said  # both answers occur among the shipped lessons


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("title: Networking using the host network", "title: On @{host_address}"),
        (
            "      - Type the command exactly",
            "      - On @{host_address}, type the command exactly",
        ),
        ("hint: The page should be", "hint: The page of @{host_address} should be"),
    ],
)
def test_a_builtin_anywhere_counts(tmp_path: Path, old: str, new: str) -> None:
    text = lesson_files()[0].read_text()
    assert "@{host_address}" not in text and old in text
    assert not uses_builtins(load_lesson(lesson_files()[0]))
    path = tmp_path / "01-host-network.yaml"
    path.write_text(text.replace(old, new, 1))
    lesson = load_lesson(path)
    assert uses_builtins(lesson) and by_json(lesson)
