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

from .model import Lesson

VAR = re.compile(r"@(@?)\{([A-Za-z0-9_-]*)\}")
COMMAND_KEYS = {"command", "run"}
BUILTINS = {
    "host_address": "the target host's address, as a container on its default bridge reaches it",
}


def uses_builtins(lesson: Lesson) -> bool:
    """Whether the lesson refers to a built-in variable (``@{host_address}``)."""
    text = lesson.model_dump_json(by_alias=True)
    return any("@{" + name + "}" in text for name in BUILTINS)


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
