"""Lesson headers from the cache: the same answers as the loader, whatever the cache holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hostnet.engine import catalog
from hostnet.engine.catalog import headers
from hostnet.engine.errors import LessonError
from hostnet.engine.loader import load_all
from tests.support.lessons import copy_of_shipped_lessons


def expected(directory: Path | None = None) -> list[tuple[int, str, str, int, tuple[str, ...]]]:
    return [
        (x.number, x.id, x.title, x.duration_minutes, tuple(s.id for s in x.steps))
        for x in load_all(directory)
    ]


def got(found: list[catalog.LessonHeader]) -> list[tuple[int, str, str, int, tuple[str, ...]]]:
    return [(h.number, h.id, h.title, h.duration_minutes, h.step_ids) for h in found]


@pytest.fixture
def lessons(tmp_path: Path) -> Path:
    return copy_of_shipped_lessons(tmp_path / "lessons")


def test_cold_and_warm_cache_give_what_the_loader_gives(lessons: Path, tmp_path: Path) -> None:
    cache = tmp_path / "state" / "lesson-headers.json"
    assert got(headers(lessons, cache)) == expected(lessons)
    assert cache.exists()
    assert got(headers(lessons, cache)) == expected(lessons)


def test_a_warm_cache_does_not_parse(
    lessons: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "c.json"
    headers(lessons, cache)

    def parse(path: Path) -> None:
        raise AssertionError(f"parsed {path}")

    monkeypatch.setattr(catalog, "_parse", parse)
    assert got(headers(lessons, cache)) == expected(lessons)


def test_a_changed_file_is_read_again(lessons: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c.json"
    headers(lessons, cache)
    first = sorted(lessons.glob("*.yaml"))[0]
    text = first.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    first.write_text(text.replace(title, "title: A new title", 1))
    assert headers(lessons, cache)[0].title == "A new title"
    assert got(headers(lessons, cache)) == expected(lessons)


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"[]", b'{"version": "0.0.0-other", "files": {}}', b"\xff\xfe",
     b'{"version": "VERSION", "files": {"KEY": {"size": "x", "number": []}}}',
     b'{"version": "VERSION", "files": {"KEY": {"size": 0, "mtime_ns": 0}}}',
     b'{"version": "VERSION", "files": []}'],
)  # fmt: skip
def test_a_corrupt_or_foreign_cache_is_rebuilt_silently(
    lessons: Path, tmp_path: Path, content: bytes
) -> None:
    cache = tmp_path / "c.json"
    key = str(sorted(lessons.glob("*.yaml"))[0].absolute())
    cache.write_bytes(
        content.replace(b"VERSION", catalog.__version__.encode()).replace(b"KEY", key.encode())
    )
    assert got(headers(lessons, cache)) == expected(lessons)
    assert json.loads(cache.read_text())["version"] == catalog.__version__


def test_a_wrong_entry_with_the_right_stamp_is_not_trusted(lessons: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c.json"
    headers(lessons, cache)
    data = json.loads(cache.read_text())
    for entry in data["files"].values():
        entry["number"] = "one"  # a type the model never gives
    cache.write_text(json.dumps(data))
    assert got(headers(lessons, cache)) == expected(lessons)


def test_an_unwritable_cache_only_costs_time(lessons: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert got(headers(lessons, blocker / "c.json")) == expected(lessons)


def test_an_invalid_lesson_raises_what_load_all_raises(lessons: Path, tmp_path: Path) -> None:
    cache = tmp_path / "c.json"
    headers(lessons, cache)
    (lessons / "00-broken.yaml").write_text("format_version: 1\nid: broken\n")
    with pytest.raises(LessonError) as from_loader:
        load_all(lessons)
    with pytest.raises(LessonError) as from_cache:
        headers(lessons, cache)
    assert str(from_cache.value) == str(from_loader.value)


def test_two_lessons_with_one_number_is_the_loaders_error(lessons: Path, tmp_path: Path) -> None:
    first = sorted(lessons.glob("*.yaml"))[0]
    text = first.read_text().replace("id: host-network", "id: host-network-again", 1)
    (lessons / "09-again.yaml").write_text(text)
    for _ in range(2):  # cold, then warm
        with pytest.raises(LessonError, match="both have number 1"):
            headers(lessons, tmp_path / "c.json")


def test_the_cache_sits_next_to_the_progress_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOSTNET_PROGRESS_DB", str(tmp_path / "x" / "p.sqlite"))
    assert catalog.default_cache() == tmp_path / "x" / "lesson-headers.json"
    headers()
    assert (tmp_path / "x" / "lesson-headers.json").exists()
    assert not [p for p in os.listdir(tmp_path / "x") if p.startswith(".lesson-headers.")]
