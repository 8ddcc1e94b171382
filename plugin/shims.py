"""Two guarded short cuts in Typer's start-up, each answering only what it can answer
exactly as Typer would and handing everything else to Typer: the program runs on
every Tab of shell completion, so what Typer loads on first use counts there.

A Typer without the hook a short cut replaces is left alone; tests/plugin compare
each short cut's answers with Typer's own.
"""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Callable
from typing import Any

import typer


def coerce_plain_values_without_pydantic() -> None:
    """Typer (0.2x) coerces each option's value with a pydantic TypeAdapter built on
    first use: importing pydantic's adapter machinery and building one cost about
    50 ms at every start, even for values that need no coercion at all: an absent
    value (None, which Typer returns unchanged), a string for a ``str``, strings
    for a ``list[str]``. Those are answered here as the adapter answers them;
    every other value (a Path, a number) goes to Typer's own adapter."""
    core = getattr(typer, "core", None)
    param_class: Any = getattr(core, "_TyperParameter", None)
    build = getattr(param_class, "get_runtime_param", None)
    if build is None or getattr(build, "plain_first", False):
        return

    def plain(annotation: Any, value: Any) -> tuple[bool, Any]:
        if annotation is str and isinstance(value, str):
            return True, value
        strings = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        if annotation == list[str] and strings:
            return True, list(value)
        return False, None

    class PlainFirst:
        def __init__(self, param: Any, build: Callable[[Any], Any]) -> None:
            self._param = param
            self._build = build

        def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
            if value is None:  # as Typer's RuntimeParam.coerce answers None
                return () if param.multiple or param.nargs == -1 else None
            done, coerced = plain(getattr(param.type_descriptor, "annotation", None), value)
            if done:
                return coerced
            return self._build(self._param).coerce(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        return PlainFirst(self, build)

    get_runtime_param.plain_first = True  # type: ignore[attr-defined]
    param_class.get_runtime_param = get_runtime_param


def rich_wrap_width() -> int | None:
    """The width at which the Console of Typer's help-text sanitizer (typer.rich_utils)
    wraps, worked out as Rich's Console does (its ``__init__`` and ``size``): COLUMNS,
    else the first of stdin, stdout, stderr that is a terminal, else 80. None where
    that takes more than this: TERMINAL_WIDTH (Typer's own width), a dumb terminal
    (Rich's 80 wins over COLUMNS there), Windows, Jupyter."""
    env = os.environ
    dumb = env.get("TERM", "").lower() in ("dumb", "unknown")
    if env.get("TERMINAL_WIDTH") or dumb or sys.platform == "win32":
        return None
    if hasattr(builtins, "get_ipython"):
        return None
    columns = env.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    for stream, default in ((sys.__stdin__, 0), (sys.__stdout__, 1), (sys.__stderr__, 2)):
        try:
            fd = stream.fileno()  # type: ignore[union-attr]
        except Exception:
            fd = default  # as Rich falls back
        try:
            width = os.get_terminal_size(fd).columns
        except (AttributeError, ValueError, OSError):
            continue
        return width or 80
    return 80


def unchanged_by_rich(text: str) -> bool:
    """Whether rendering ``text`` with a Rich Console of ``rich_wrap_width()`` gives it
    back as it is: printable ASCII (no control code to strip, a cell per character, no
    tab to expand), no ``[`` (Rich's markup parser is skipped without one), no
    ``:name:`` that Rich's own emoji table replaces, and short enough not to wrap."""
    if not (text.isascii() and text.isprintable()) or "[" in text:
        return False
    width = rich_wrap_width()
    if width is None or len(text) > width:
        return False
    if text.count(":") < 2:
        return True
    try:
        from rich._emoji_replace import _emoji_replace  # a table, without the Console
    except ImportError:
        return False
    return _emoji_replace(text) == text


def sanitize_plain_help_without_rich() -> None:
    """Typer's completion for zsh, fish and PowerShell passes each help text through
    Rich to remove markup (``_sanitize_help_text``), which imports typer.rich_utils:
    Rich's Console, Markdown, tracebacks and syntax highlighting, about 60 ms on
    every Tab. A help text Rich would give back unchanged (``unchanged_by_rich``) is
    answered here; any other goes to Typer's function."""
    classes = sys.modules.get("typer._completion_classes")
    original = getattr(classes, "_sanitize_help_text", None)
    if original is None or getattr(original, "plain_first", False):
        return

    def sanitize(text: str) -> str:
        return text if unchanged_by_rich(text) else original(text)

    sanitize.plain_first = True  # type: ignore[attr-defined]
    sanitize.original = original  # type: ignore[attr-defined]
    classes._sanitize_help_text = sanitize  # type: ignore[union-attr]


def install() -> None:
    coerce_plain_values_without_pydantic()
    sanitize_plain_help_without_rich()
