"""YAML with line numbers: parse once into nodes and data, find the line of any
field, and say in a few words what is wrong with a value."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

Loc = tuple[str | int, ...]
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def reader_line(text: str, position: int | None) -> int | None:
    """The line of a character the YAML reader refused (libyaml counts bytes)."""
    if position is None:
        return None
    if _Loader is not yaml.SafeLoader:
        return text.encode("utf-8", "surrogatepass")[:position].count(b"\n") + 1
    return text[:position].count("\n") + 1


# libyaml's loader when PyYAML has it (about 10x faster than the pure Python one).
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LocatingLoader(_Loader):  # type: ignore[misc,valid-type]
    """Scalars Python cannot represent (``number: 2024-02-30``, an int of 5,000
    digits, ``!!int x``) become YAML errors with their line, not a ValueError;
    so do integers beyond 64 bits (SQLite's limit; their repr() may even fail)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            value = super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            problem = f"cannot read {short(node.value)!r}: {str(exc).split(';')[0]}"
        else:
            if not isinstance(value, int) or -(2**63) <= value < 2**63:
                return value
            problem = f"number too large: {short(node.value)}"
        raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data, from one parse."""
    loader = _LocatingLoader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    """The line of the value at ``loc`` in the node tree (the nearest known)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == str(part):
                    child = value if not isinstance(value, yaml.ScalarNode) else key
                    line = key.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        elif isinstance(part, str) and _PLAIN_KEY.fullmatch(part):
            text += f".{part}" if text else part
        else:  # a key with blanks, dots or control characters ("\x1b[2J"), or not a string
            text += f"[{short(part)!r}]"
    return text


def did_you_mean(word: str, choices: Sequence[str] | Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def short(value: Any, limit: int = 60) -> Any:
    """A value for an error message: long strings (and other long values) cut."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return value
    return text[:limit] + f"… ({len(text) - limit} more characters)"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
