"""A validated lesson from the cache: what the loader gives, whatever the cache holds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostnet.engine import lessoncache, loader
from hostnet.engine.errors import LessonError
from hostnet.engine.lessoncache import find_lesson
from hostnet.engine.lessonfiles import lesson_files
from tests.support.lessons import copy_of_shipped_lessons

IMAGE = {"image": "hostnet/nginx-standin:latest"}


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    return copy_of_shipped_lessons(tmp_path / "lessons")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "state" / "lessons.cache"


def no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    def load(*args: object) -> None:
        raise AssertionError(f"loaded {args}")

    monkeypatch.setattr(loader, "find_lesson_file", load)


@pytest.mark.parametrize(("ref", "values"), [("1", {}), ("1", IMAGE), ("host-network", IMAGE)])
def test_cold_and_warm_give_what_the_loader_gives(
    lessons: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, ref: str, values: dict[str, str]
) -> None:
    expected = loader.find_lesson(ref, lessons, values)
    assert find_lesson(ref, lessons, values, folder) == expected
    assert len(list(folder.iterdir())) == 1
    no_loading(monkeypatch)
    warm = find_lesson(ref, lessons, values, folder)
    assert warm == expected and warm.model_dump() == expected.model_dump()
    assert type(warm.steps[0].checks[0]) is type(expected.steps[0].checks[0])


def test_other_values_or_another_reference_are_loaded_again(lessons: Path, folder: Path) -> None:
    find_lesson("1", lessons, IMAGE, folder)
    other = find_lesson("1", lessons, {"image": "nginx:other"}, folder)
    assert other == loader.find_lesson("1", lessons, {"image": "nginx:other"})
    assert "nginx:other" in other.steps[0].command
    with pytest.raises(LessonError) as cached:
        find_lesson("1", lessons, {"imgae": "x"}, folder)
    with pytest.raises(LessonError) as loaded:
        loader.find_lesson("1", lessons, {"imgae": "x"})
    assert str(cached.value) == str(loaded.value) and cached.value.hint == loaded.value.hint


def test_a_changed_file_is_validated_again(lessons: Path, folder: Path) -> None:
    find_lesson("1", lessons, IMAGE, folder)
    path = lesson_files(lessons)[0]
    text = path.read_text()
    path.write_text(text.replace("title: Networking using the host network", "title: Changed"))
    assert find_lesson("1", lessons, IMAGE, folder).title == "Changed"
    path.write_text(text.replace("format_version: 1", "format_version: 99"))  # now invalid
    with pytest.raises(LessonError, match="only reads format"):
        find_lesson("1", lessons, IMAGE, folder)


def test_an_entry_others_may_write_or_a_broken_one_is_not_read(
    lessons: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = find_lesson("1", lessons, IMAGE, folder)
    (entry,) = folder.iterdir()
    assert entry.stat().st_mode & 0o077 == 0
    entry.chmod(0o666)
    calls = []
    real = loader.find_lesson_file

    def counted(*args: object) -> object:
        calls.append(args)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(loader, "find_lesson_file", counted)
    assert find_lesson("1", lessons, IMAGE, folder) == expected
    assert len(calls) == 1 and entry.stat().st_mode & 0o077 == 0  # replaced, private again
    entry.write_bytes(b"not a pickle")
    entry.chmod(0o600)
    assert find_lesson("1", lessons, IMAGE, folder).number == 1
    assert len(calls) == 2


def test_a_lesson_found_past_the_first_file_is_not_kept(tmp_path: Path, folder: Path) -> None:
    """``5`` names no file, so every file is read in order: the answer depends on all
    of them, and is not kept."""
    two = tmp_path / "two"
    two.mkdir()
    first, second = lesson_files()[:2]
    shutil.copy(first, two / first.name)
    text = second.read_text().replace(f"number: {second.name[:2].lstrip('0')}\n", "number: 5\n")
    (two / second.name).write_text(text)
    assert find_lesson("5", two, None, folder).number == 5
    assert not folder.exists() or not list(folder.iterdir())


def test_other_code_is_a_miss(lessons: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    find_lesson("1", lessons, IMAGE, folder)
    monkeypatch.setattr(lessoncache, "_code", lambda: ("another version",))
    no_loading(monkeypatch)
    with pytest.raises(AssertionError, match="loaded"):
        find_lesson("1", lessons, IMAGE, folder)


def test_a_warm_start_imports_neither_yaml_nor_the_loader(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from hostnet.plugin.context import load\n"
        "lesson = load('1', ['image=hostnet/nginx-standin:latest'])\n"
        "print(lesson.steps[0].command)\n"
        "print(sorted(m for m in ('yaml', 'hostnet.engine.loader') if m in sys.modules))\n"
        "from hostnet.engine.model import Lesson\n"
        "from hostnet.engine.variables import uses_builtins\n"
        "print(uses_builtins(lesson), Lesson.__pydantic_complete__)\n"
    )
    env = {**os.environ, "HOSTNET_PROGRESS_DB": str(tmp_path / "p.sqlite")}
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       check=True).stdout.splitlines()
        for _ in range(2)
    ]  # fmt: skip
    assert runs[0][0] == runs[1][0] and "hostnet/nginx-standin:latest" in runs[0][0]
    assert runs[0][1] == "['hostnet.engine.loader', 'yaml']"  # cold: loaded and validated
    assert runs[1][1] == "[]"
    # and the session's question needs no serializer: the model's schema is never built
    assert runs[1][2] == "False False"
