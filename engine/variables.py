"""Lesson variables: ``@{name}`` anywhere in a string of a lesson file.

Declared ones are bound when a lesson loads (``loader.py``); built-in ones
depend on where the lesson runs and are bound by the lesson session. In
commands (``command``, ``run``, ``setup``, ``cleanup``) values are shell-quoted;
``@@{name}`` writes a literal ``@{name}``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from .model import Lesson

VAR = re.compile(r"@(@?)\{([A-Za-z0-9_-]*)\}")
COMMAND_KEYS = {"command", "run"}
BUILTINS = {
    "host_address": "the target host's address, as a container on its default bridge reaches it",
}


def uses_builtins(lesson: Lesson) -> bool:
    """Whether the lesson refers to a built-in variable (``@{host_address}``).

    Its JSON would say, but making it builds pydantic's serializer for the whole
    lesson model (about 12 ms of every lesson's start); its fields say the same:
    every string of every part, dict keys included. A value of another kind than
    those a lesson holds is left to the JSON."""
    wanted = ["@{" + name + "}" for name in BUILTINS]
    found = _mentions(lesson, wanted)
    if found is None:
        text = lesson.model_dump_json(by_alias=True)
        return any(name in text for name in wanted)
    return found


def _mentions(node: Any, wanted: list[str]) -> bool | None:
    """Whether a string in ``node`` contains one of ``wanted``; None for a value of
    another kind than a model, a container, a string, a number, a bool or None."""
    if isinstance(node, str):
        return any(name in node for name in wanted)
    if node is None or isinstance(node, int | float):  # (bool is an int)
        return False
    if isinstance(node, BaseModel):
        parts: Any = [*node.__dict__.values(), node.__pydantic_extra__ or {}]
    elif isinstance(node, dict):
        parts = [*node.keys(), *node.values()]
    elif isinstance(node, list | tuple | set | frozenset):
        parts = node
    else:
        return None
    answer: bool | None = False
    for part in parts:
        said = _mentions(part, wanted)
        if said:
            return True
        if said is None:
            answer = None
    return answer


def bind_builtins(lesson: Lesson, values: Mapping[str, str]) -> Lesson:
    """The lesson with its built-in variables bound (shell-quoted in commands), as
    the loader binds the declared ones; ``@@{name}`` stays a literal ``@{name}``."""

    def walk(node: Any, key: str | int | None) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if isinstance(node, str) and "@" in node:
            quote = key in COMMAND_KEYS or key in ("cleanup", "setup")  # (lists of commands)
            return VAR.sub(lambda m: bound(m, quote), node)
        return node

    def bound(match: re.Match[str], quote: bool) -> str:
        escaped, name = match.groups()
        if name not in values:
            return match.group(0)
        if escaped:
            return "@{" + name + "}"
        return shlex.quote(values[name]) if quote else values[name]

    data = walk(lesson.model_dump(mode="json", by_alias=True), None)
    return Lesson.model_validate(data)
