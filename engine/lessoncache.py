"""A lesson as :func:`.loader.find_lesson` gives it, kept validated between runs.

Loading a lesson (importing YAML, parsing the file, building pydantic's validator
for the lesson model and running it) is about 30 ms of every ``hostnet lesson 1``,
a command a learner runs again and again. The validated lesson is kept, one entry
per lesson file, with what it was made from: the reference and the variables it
was asked with, the file's size, times and inode, and a fingerprint of the code
that validated it (this package's engine sources, pydantic's and Python's
versions). A run that asks the same of the same file with the same code gets the
kept lesson without importing the loader; any other run loads and validates in
full, exactly as ``find_lesson`` does (errors included), and keeps the result.

Only a lesson found in the first file ``find_lesson`` reads is kept: then no
other file had a say in the answer. The entries are pickles, so one is read only
when it is a regular file owned by this user and writable by nobody else (as ssh
treats its keys); any other is ignored, and replaced when written.

They live next to the progress database, in ``lessons.cache/``
(``$HOSTNET_PROGRESS_DB``'s folder, default ``$XDG_STATE_HOME/docker-hostnet/``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .lessonfiles import lesson_files, search_order

if TYPE_CHECKING:
    from .model import Lesson

FOLDER_NAME = "lessons.cache"


def default_folder() -> Path:
    from .progress import default_path

    return default_path().parent / FOLDER_NAME


def find_lesson(
    ref: str,
    directory: Path | None = None,
    values: Mapping[str, str] | None = None,
    folder: Path | None = None,
) -> Lesson:
    """What :func:`.loader.find_lesson` answers, from the cache when nothing changed."""
    files = lesson_files(directory)
    first = search_order(files, ref)[0] if files else None
    folder = folder or default_folder()
    asked = (ref, tuple(sorted((values or {}).items())))
    if first is not None:
        kept = _read(_entry(folder, first), asked, first)
        if kept is not None:
            return kept
    from .loader import find_lesson_file

    before = _made_from(first) if first is not None else None
    path, lesson = find_lesson_file(ref, directory, values)
    # kept only when it came from the first file, unchanged while it was read
    if path == first and before is not None and _made_from(path) == before:
        _write(_entry(folder, path), {"asked": asked, "from": before, "lesson": lesson})
    return lesson


def _entry(folder: Path, lesson_file: Path) -> Path:
    name = hashlib.sha256(str(lesson_file.absolute()).encode()).hexdigest()[:24]
    return folder / f"{name}.pickle"


def _made_from(lesson_file: Path) -> tuple[Any, ...] | None:
    """The lesson file as it is now, and the code that reads it; None when unreadable."""
    try:
        st = lesson_file.stat()
    except OSError:
        return None
    signature = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    return (str(lesson_file.absolute()), signature, _code())


@functools.cache  # (a miss asks three times: before reading the file, after, and to check)
def _code() -> tuple[Any, ...]:
    """The engine's sources (name, size, times of each), pydantic's and Python's versions:
    a pickled lesson is only as good as the classes it is read back into. Read once
    per process: these are the classes this process has imported."""
    from pydantic.version import VERSION

    sources = []
    for folder, dirs, names in os.walk(os.path.dirname(__file__)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(n for n in names if n.endswith(".py")):
            with contextlib.suppress(OSError):
                st = os.stat(os.path.join(folder, name))
                sources.append((folder, name, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return (VERSION, sys.version, tuple(sources))


def _read(entry: Path, asked: tuple[Any, ...], lesson_file: Path) -> Lesson | None:
    try:
        with entry.open("rb") as f:
            st = os.fstat(f.fileno())
            if not _private(st):
                return None
            kept = pickle.load(f)
    except Exception:  # missing, unreadable, from other code: load the file instead
        return None
    if not isinstance(kept, dict) or kept.get("asked") != asked:
        return None
    if kept.get("from") != _made_from(lesson_file):
        return None
    from .model import Lesson

    lesson = kept.get("lesson")
    return lesson if isinstance(lesson, Lesson) else None


def _private(st: os.stat_result) -> bool:
    """A regular file of this user's that nobody else may write."""
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISREG(st.st_mode) and mine and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _write(entry: Path, kept: dict[str, Any]) -> None:
    """Replace the entry in one step (another process may read it meanwhile); a folder
    that cannot be written (a read-only home) is skipped without a word."""
    import tempfile

    with contextlib.suppress(OSError, pickle.PicklingError):
        data = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".lesson.")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, entry)
        except OSError:
            os.unlink(tmp)
            raise
