"""The lessons on offer, listed without parsing every file each time.

``hostnet lessons`` needs each lesson's number, id, title, duration and step
ids. Parsing and validating the files for them (YAML, then the pydantic model)
costs more than everything else the command does, so the headers are kept in
a small JSON cache, one entry per file keyed by its path, size and
modification time. A file that changed (or is new) is loaded and validated in
full, exactly as :func:`~.loader.load_all` does, errors included; a cache that
cannot be read or written (corrupt, from another version, a read-only home)
is rebuilt or skipped without a word.

The cache lives next to the progress database (``$HOSTNET_PROGRESS_DB``'s
folder, default ``$XDG_STATE_HOME/docker-hostnet/``).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .lessonfiles import check_numbers, lesson_files

CACHE_NAME = "lesson-headers.json"


@dataclass(frozen=True)
class LessonHeader:
    """What a list of lessons shows of one lesson."""

    number: int
    id: str
    title: str
    duration_minutes: int
    step_ids: tuple[str, ...]


def default_cache() -> Path:
    from .progress import default_path

    return default_path().parent / CACHE_NAME


def headers(directory: Path | None = None, cache: Path | None = None) -> list[LessonHeader]:
    """Every lesson's header, by number; raises :class:`LessonError` as ``load_all`` does."""
    cache = cache or default_cache()
    known = _read(cache)
    entries: dict[str, dict[str, Any]] = {}
    found: list[LessonHeader] = []
    for path in lesson_files(directory):
        key = str(path.absolute())
        try:
            stat = path.stat()
        except OSError:
            stat = None
        entry = known.get(key)
        header = _header(entry, stat) if entry is not None else None
        if header is None:
            header = _parse(path)
            if stat is not None:
                entry = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, **asdict(header)}
        if entry is not None:
            entries[key] = entry
        found.append(header)
    check_numbers((h.number, h.id) for h in found)
    if entries != known:
        _write(cache, entries)
    return sorted(found, key=lambda h: h.number)


def _parse(path: Path) -> LessonHeader:
    from .loader import load_lesson  # YAML and the model: only for a file not in the cache

    lesson = load_lesson(path)
    return LessonHeader(
        lesson.number,
        lesson.id,
        lesson.title,
        lesson.duration_minutes,
        tuple(step.id for step in lesson.steps),
    )


def _header(entry: dict[str, Any], stat: os.stat_result | None) -> LessonHeader | None:
    """The cached header when the file is unchanged and the entry well formed."""
    if (
        stat is None
        or entry.get("size") != stat.st_size
        or entry.get("mtime_ns") != stat.st_mtime_ns
    ):
        return None
    try:
        header = LessonHeader(
            entry["number"],
            entry["id"],
            entry["title"],
            entry["duration_minutes"],
            tuple(entry["step_ids"]),
        )
    except (KeyError, TypeError):
        return None
    kinds = (int, str, str, int)
    values = (header.number, header.id, header.title, header.duration_minutes)
    if not all(type(v) is k for v, k in zip(values, kinds, strict=True)):
        return None
    return header if all(isinstance(s, str) for s in header.step_ids) else None


def _read(cache: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(cache.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != __version__:
        return {}
    files = data.get("files")
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(v, dict)}


def _write(cache: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Replace the cache in one step (another process may read it meanwhile)."""
    import tempfile

    text = json.dumps({"version": __version__, "files": entries}, ensure_ascii=False)
    with contextlib.suppress(OSError):
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".lesson-headers.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, cache)
        except OSError:
            os.unlink(tmp)
            raise
