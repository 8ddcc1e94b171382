"""Random and mutated lesson files: the loader refuses them with one located LessonError.

Whatever a file holds (random YAML, a real lesson with keys dropped, duplicated
or retyped, corrupted indentation or characters, huge numbers, deep nesting,
aliases, any Unicode, bytes that are not UTF-8), ``load_lesson`` either returns
a Lesson or raises :class:`LessonError` whose message starts with ``path:N:``.
Nothing else escapes: no TypeError, RecursionError, ValueError, and no minutes
spent expanding aliases. ``hostnet validate`` says the same with exit code 3.

``HOSTNET_FUZZ_EXAMPLES=5000`` runs more examples (the defaults keep CI quick);
examples are derandomized, so a failure reproduces; ``HOSTNET_FUZZ_RANDOM=1``
explores new ones instead.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostnet.engine.errors import ExitCode, LessonError
from hostnet.engine.loader import MAX_VALUES, find_lesson, lesson_files, load_lesson
from hostnet.engine.model import Lesson
from hostnet.plugin.app import run as run_cli

EXAMPLES = int(os.environ.get("HOSTNET_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("HOSTNET_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REAL = {path.name: path.read_text(encoding="utf-8") for path in lesson_files()}
REAL_DATA = {name: yaml.safe_load(text) for name, text in REAL.items()}
LESSON_NAMES = sorted(REAL)


def outcome(path: Path) -> Lesson | LessonError:
    """Load ``path``: a Lesson, or the LessonError; anything else fails the test."""
    started = time.monotonic()
    try:
        return load_lesson(path)
    except LessonError as exc:
        return exc
    finally:
        assert time.monotonic() - started < 5, "loading one small file took over 5 s"


def assert_located(path: Path, error: LessonError) -> None:
    message = str(error)
    assert re.match(rf"{re.escape(str(path))}:\d+: \S", message), message
    # Keys and values are quoted: nothing in the file reaches the terminal raw.
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", message), repr(message)
    assert error.exit_code == ExitCode.LESSON_ERROR
    first = message.splitlines()[0]
    assert len(first) < 2000, f"an error message of {len(first)} characters"


def check_file(path: Path) -> None:
    result = outcome(path)
    if isinstance(result, LessonError):
        assert_located(path, result)


# ---------------------------------------------------------------------- random YAML

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**200),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["@{image}", "@{nope}", "@@{x}", "@{", "kind", "port", "steps", "~", ""]),
)
_keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["format_version", "id", "number", "title", "summary", "steps", "checks", "kind",
         "command", "variables", "default", "cleanup", "prerequisites", "quiz", "hints"]
    ),
)  # fmt: skip
_yaml_data = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=40,
)


@FUZZ
@given(data=_yaml_data, top=st.dictionaries(_keys, _yaml_data, max_size=8))
def test_random_yaml_documents(tmp_path_factory, data: Any, top: dict[str, Any]) -> None:
    folder = tmp_path_factory.mktemp("random")
    for name, doc in (("a.yaml", data), ("b.yaml", {"format_version": 1, **top})):
        path = folder / name
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        check_file(path)


@FUZZ
@given(text=st.text(max_size=400))
def test_random_text(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("text") / "x.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check_file(path)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes(tmp_path_factory, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("bytes") / "x.yaml"
    path.write_bytes(raw)
    check_file(path)


# ---------------------------------------------------------------------- mutated lessons

_other_types = st.one_of(
    _scalars,
    st.just([]),
    st.just({}),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just("x" * 100_000),
    st.just(10**4000),
    st.just(float("nan")),
)


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated_lessons(draw: st.DrawFn) -> Any:
    data = copy.deepcopy(REAL_DATA[draw(st.sampled_from(LESSON_NAMES))])
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(data, path), path[-1]
        op = draw(st.sampled_from(["drop", "duplicate", "retype", "unknown", "nest", "unicode"]))
        if op == "drop":
            del parent[last]
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(last, copy.deepcopy(parent[last]))
            else:
                parent[f"{last}_"] = copy.deepcopy(parent[last])
        elif op == "retype":
            parent[last] = draw(_other_types)
        elif op == "unknown":
            target = parent[last] if isinstance(parent[last], dict) else parent
            if isinstance(target, dict):
                target[draw(st.text(min_size=1, max_size=10))] = draw(_scalars)
            else:
                target.append(draw(_scalars))
        elif op == "nest":
            depth = draw(st.integers(1, 60))
            value: Any = parent[last]
            for _ in range(depth):
                value = [value] if draw(st.booleans()) else {"k": value}
            parent[last] = value
        else:
            parent[last] = draw(st.text(min_size=1, max_size=30)) + str(parent[last])[:20]
    return data


@FUZZ
@given(data=mutated_lessons())
def test_mutated_lessons(tmp_path_factory, data: Any) -> None:
    path = tmp_path_factory.mktemp("mutated") / "01-mutant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    check_file(path)


@st.composite
def corrupted_text(draw: st.DrawFn) -> str:
    """A real lesson with characters inserted, deleted or replaced, indents shifted."""
    lines = REAL[draw(st.sampled_from(LESSON_NAMES))].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["indent", "dedent", "tab", "insert", "delete", "dup", "swap"]))
        line = lines[i]
        if op == "indent":
            lines[i] = " " * draw(st.integers(1, 7)) + line
        elif op == "dedent":
            lines[i] = line.lstrip(" ")
        elif op == "tab":
            lines[i] = "\t" + line
        elif op == "insert":
            at = draw(st.integers(0, len(line)))
            chars = draw(
                st.one_of(
                    st.text(max_size=5),
                    st.sampled_from(
                        [":", "- ", "{", "[", "&a ", "*a", "!!int ", "!!python/object:os.system ",
                         "'", '"', "#", "|", ">", "\x00", "\x1b[2J", "\ufeff", "%YAML 1.1\n",
                         "? ", "<<: ", "9" * 5000, "2024-02-30", "1e999"]
                    ),
                )
            )  # fmt: skip
            lines[i] = line[:at] + chars + line[at:]
        elif op == "delete":
            a = draw(st.integers(0, len(line)))
            lines[i] = line[:a] + line[a + draw(st.integers(1, 5)) :]
        elif op == "dup":
            lines.insert(i, line)
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


@FUZZ
@given(text=corrupted_text())
def test_corrupted_lessons(tmp_path_factory, text: str) -> None:
    path = tmp_path_factory.mktemp("corrupt") / "01-corrupt.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    check_file(path)


# ---------------------------------------------------------------------- hostile classics

BASE = REAL["01-host-network.yaml"]


def _alias_bomb(levels: int) -> str:
    text = "format_version: 1\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n"
    return text


HOSTILE = {
    # (file content, what the message must say)
    "not UTF-8": (b"format_version: 1\nid: \xff\xfe\n", "2: not UTF-8"),
    "NUL byte": ("format_version: 1\nid: a\x00b\n", "2: not valid YAML"),
    "unhashable kind": (BASE.replace("kind: container", "kind: [container]", 1), "unknown check"),
    "mapping as kind": (BASE.replace("kind: container", "kind: {a: 1}", 1), "unknown check"),
    "5,000-digit number": (BASE.replace("number: 1", "number: " + "9" * 5000, 1), "digits"),
    "hex number of 5,000 digits": ("format_version: 1\nnumber: 0x" + "f" * 5000, "too large"),
    "title of 1,000 digits": (BASE.replace("title: ", "title: " + "9" * 1000 + " #", 1), "large"),
    "February 30th": ("format_version: 1\nid: 2024-02-30\n", "day is out of range"),
    "!!int that is not": ("format_version: 1\nnumber: !!int x\n", "cannot read 'x'"),
    "python tag": ("format_version: 1\nid: !!python/object/apply:os.system [id]\n", "tag"),
    "alias bomb": (_alias_bomb(9), f"more than {MAX_VALUES} values"),
    "flow nesting 990 deep": ("format_version: 1\nx: " + "[" * 990 + "]" * 990, "nested"),
    "map nesting 990 deep": ("format_version: 1\nx: " + "{a: " * 990 + "1" + "}" * 990, "nested"),
    "nesting beyond libyaml": ("format_version: 1\nx: " + "[" * 5000 + "]" * 5000, "nesting"),
    "regex nested 3,000 deep": (
        BASE.replace("matches: '", "matches: '" + "(" * 3000 + ")" * 3000, 1),
        "not a usable regular expression",
    ),
    "regex repeat too large": (
        BASE.replace("matches: '", "matches: 'a{99999999999999999999}", 1),
        "not a usable regular expression",
    ),
    "10 MB title": (BASE.replace("title: ", "title: [" + "x" * 10_000_000 + "] #", 1), ""),
    "empty file": ("", "1: a lesson file must be a mapping"),
    "unknown format": (BASE.replace("format_version: 1", "format_version: 99", 1), "format 99"),
    "ANSI in an id": (BASE.replace("id: host-network", 'id: "\\e[2Jx"', 1), "id"),
    "ANSI in a key": (
        BASE.replace("summary:", '"\\e[2J\\rsum": x\nsummary:', 1),
        "['\\x1b[2J\\rsum']: unknown field",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_classics(tmp_path: Path, case: str) -> None:
    content, expected = HOSTILE[case]
    path = tmp_path / "01-hostile.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = outcome(path)
    assert isinstance(result, LessonError), f"{case}: loaded"
    assert_located(path, result)
    assert expected in str(result)


@pytest.mark.parametrize(
    "ref", ["²", "١", "9" * 5000, "0001", "1; touch /tmp/x", "../01-host-network", "", " 1", "\x1b"]
)
def test_lesson_refs_never_crash(ref: str) -> None:
    """A lesson number or id as typed: a LessonError, never a ValueError (int("²") raised one)."""
    with pytest.raises(LessonError, match="no lesson"):
        find_lesson(ref)


# ---------------------------------------------------------------------- hostnet validate


@settings(
    FUZZ, suppress_health_check=[*FUZZ.suppress_health_check, HealthCheck.function_scoped_fixture]
)
@given(data=mutated_lessons(), text=corrupted_text())
def test_validate_in_process(tmp_path_factory, capsys, data: Any, text: str) -> None:
    """`hostnet validate` (the app's one error funnel, in this process): 0 or 3, never a bug."""
    folder = tmp_path_factory.mktemp("validate")
    (folder / "01-a.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (folder / "02-b.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    capsys.readouterr()  # (capsys is shared by the examples: empty it first)
    code = run_cli(["validate", str(folder)], docker_flags={}, as_plugin=False)
    out, err = capsys.readouterr()
    assert code in (ExitCode.OK, ExitCode.LESSON_ERROR), err
    assert "Traceback" not in out + err and "internal error" not in err, err
    assert "\x1b" not in out + err  # nothing from the files acts on the terminal
    broken = [p for p in sorted(folder.iterdir()) if isinstance(outcome(p), LessonError)]
    if broken:  # (lint has more errors, e.g. both files numbered 1)
        assert code == ExitCode.LESSON_ERROR
    for path in broken:  # (the line number itself: see test_an_error_on_line_100_…)
        assert str(path) in err.replace("\n", "")


def test_unused_variable_names_are_quoted(tmp_path: Path, capsys) -> None:
    path = tmp_path / "01-vars.yaml"
    path.write_text(BASE.replace("variables:", 'variables:\n  "\\e[2J": {default: x}', 1))
    assert run_cli(["validate", str(path)], docker_flags={}, as_plugin=False) == 0
    err = capsys.readouterr().err
    assert "variables['\\x1b[2J']: declared but never used" in err and "\x1b" not in err


def test_validate_command_on_hostile_files(tmp_path: Path, hostnet_bin: Path) -> None:
    """The installed `hostnet validate FILE…`: exit 3, every file named with a line, no traceback."""
    files = []
    for i, case in enumerate(HOSTILE):
        content = HOSTILE[case][0]
        if case == "10 MB title":
            continue
        path = tmp_path / f"{i:02d}-case.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        files.append(path)
    res = subprocess.run(
        [str(hostnet_bin), "validate", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "10000"},
    )
    assert res.returncode == ExitCode.LESSON_ERROR, res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    for path in files:
        assert re.search(rf"error: {re.escape(str(path))}:\d+: ", res.stderr), path
    assert f"{len(files)} lesson file(s) checked: {len(files)} error(s)" in res.stdout


def test_an_error_on_line_100_keeps_its_line_number(tmp_path: Path, capsys) -> None:
    """`file.yaml:100: …` printed as `file.yaml💯 …` (rich's emoji codes; also :1234:)."""
    path = tmp_path / "01-long.yaml"
    at = BASE.splitlines().index("number: 1")
    padded = "# padding\n" * (99 - at) + BASE.replace("number: 1\n", "number: [1]\n", 1)
    path.write_text(padded, encoding="utf-8")
    assert str(outcome(path)).startswith(f"{path}:100: number: ")
    assert run_cli(["validate", str(path)], docker_flags={}, as_plugin=False) == 3
    assert f"{path}:100: " in capsys.readouterr().err.replace("\n", "")
