"""Load lesson files: YAML in, a validated :class:`Lesson` out, or one clear error.

Every error names the file, the line, the field and, where it can, a fix:
``lessons/03-dns.yaml:14: steps[2].checks[0].kind: unknown check 'prot' (did you mean 'port'?)``

Variables: ``@{name}`` anywhere in a string, declared under ``variables:``.
This syntax collides neither with Docker's Go templates (``{{.Name}}``) nor
with shell variables (``$HOME``, ``${HOME}``); ``@@{`` writes a literal ``@{``.
In commands (``command``, ``run``, ``cleanup``) values are shell-quoted.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .checks import REGISTRY, Check
from .errors import LessonError
from .lessonfiles import check_numbers, lesson_files, search_order
from .model import FORMAT_VERSION, SLUG, Concept, Lesson, Step, Variable
from .variables import BUILTINS, COMMAND_KEYS, VAR
from .yamlsource import (
    Loc,
    as_list,
    did_you_mean,
    dotted,
    line_of,
    parse,
    reader_line,
    short,
)

MAX_VALUES = 100_000  # after YAML aliases are expanded; a real lesson has about 500
MAX_DEPTH = 32  # a lesson's deepest field is 5 levels down


def load_all(directory: Path | None = None) -> list[Lesson]:
    lessons = [load_lesson(path) for path in lesson_files(directory)]
    check_numbers((lesson.number, lesson.id) for lesson in lessons)
    return sorted(lessons, key=lambda lesson: lesson.number)


def find_lesson(
    ref: str, directory: Path | None = None, values: Mapping[str, str] | None = None
) -> Lesson:
    """A lesson by number (``1``) or id (``host-network``), with variables bound.

    Files are named ``NN-id.yaml``, so the likely file is tried first; the
    others are read only when it does not match.
    """
    return find_lesson_file(ref, directory, values)[1]


def find_lesson_file(
    ref: str, directory: Path | None = None, values: Mapping[str, str] | None = None
) -> tuple[Path, Lesson]:
    """:func:`find_lesson`, and the file the lesson came from."""
    for path in search_order(lesson_files(directory), ref):
        document = read_document(path)  # read and parsed once, built without and with the values
        lesson = document.build({})
        if ref in (str(lesson.number), lesson.id):
            return path, document.build(values) if values else lesson
    raise no_lesson(ref, load_all(directory), "`docker hostnet lessons` lists them")


def no_lesson(ref: str, lessons: Iterable[Lesson], listing: str) -> LessonError:
    """The error for a lesson ``ref`` that none of ``lessons`` is; ``listing`` says where
    the learner can see them all."""
    available = ", ".join(f"{lesson.number} ({lesson.id})" for lesson in lessons)
    return LessonError(
        f"no lesson {ref!r}", hint=f"available lessons: {available or 'none'}; {listing}"
    )


def load_lesson(path: Path, values: Mapping[str, str] | None = None) -> Lesson:
    """Parse and validate one lesson file, substituting variables."""
    return read_document(path).build(values or {})


def read_document(path: Path) -> LessonDocument:
    """One lesson file, read and parsed (YAML errors raised as :class:`LessonError`)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LessonError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LessonError(
            f"{path}:{line}: not UTF-8 text (byte {raw[exc.start]:#04x})",
            hint="save the file as UTF-8",
        ) from None
    try:
        root, data = parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = mark.line + 1 if mark else reader_line(text, getattr(exc, "position", None))
        where = f"{path}:{at}" if at else str(path)
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        raise LessonError(f"{where}: not valid YAML: {problem}") from None
    except RecursionError:  # only without libyaml, whose parser stops at depth 1000 itself
        raise LessonError(f"{path}:1: not valid YAML: nested too deeply") from None
    return LessonDocument(path, root, data)


class LessonDocument:
    """One parsed file plus its node tree, so every error can point at a line.
    ``build`` may be called more than once (with other values): it leaves the data as
    it found it, but for the probe image it gives outside checks, the same each time."""

    def __init__(self, path: Path, root: yaml.Node | None, data: Any) -> None:
        self.path = path
        self.root = root
        self.data = data

    def error(self, loc: Loc, message: str, hint: str | None = None) -> LessonError:
        line = line_of(self.root, loc) or 1  # (an empty file: line 1)
        where = f"{self.path}:{line}"
        field = dotted(loc)
        return LessonError(f"{where}: {field + ': ' if field else ''}{message}", hint=hint)

    def build(self, values: Mapping[str, str]) -> Lesson:
        if not isinstance(self.data, dict):
            raise self.error((), "a lesson file must be a mapping (key: value) at the top level")
        self._check_format_version()
        self._check_kinds()
        self._check_step_ids()
        self._give_probe_image()
        bound = self._substitute(self._bind_values(values))
        try:
            return Lesson.model_validate(bound)
        except ValidationError as exc:
            raise self._from_validation(exc, values) from None

    def _check_format_version(self) -> None:
        version = self.data.get("format_version")
        if version is None:
            raise self.error(
                (), f"missing format_version (this docker-hostnet reads {FORMAT_VERSION})"
            )
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
            raise self.error(
                ("format_version",),
                f"this lesson is written for format {version}, "
                f"but this docker-hostnet only reads format {FORMAT_VERSION}",
                hint="please upgrade: pip install --upgrade docker-hostnet",
            )

    def _check_kinds(self) -> None:
        """Unknown check kinds, with a suggestion (pydantic's message has none)."""
        for loc, check in self._checks():
            if not isinstance(check, dict):
                continue
            kind = check.get("kind")
            if kind is None:
                raise self.error(loc, f"a check needs a kind (one of: {', '.join(REGISTRY)})")
            if not isinstance(kind, str) or kind not in REGISTRY:  # (a list is unhashable)
                raise self.error(
                    (*loc, "kind"),
                    f"unknown check {short(kind)!r}{did_you_mean(str(kind), REGISTRY)}",
                )
            step = self._step_of(loc)
            if kind == "output" and isinstance(step, dict) and step.get("challenge") is True:
                raise self.error(
                    (*loc, "kind"),
                    "an output check on a challenge step: any way of reaching the goal must "
                    "pass, so a challenge is verified by state (container, port, http, "
                    "command, …), not by what one command printed",
                )
            if "from" in check and not _has_field(REGISTRY[kind], "from"):
                able = sorted(k for k, c in REGISTRY.items() if _has_field(c, "from"))
                raise self.error(
                    (*loc, "from"),
                    f"a {kind} check cannot be made from elsewhere: `from` is for "
                    f"{' and '.join(able)} checks",
                )

    def _check_step_ids(self) -> None:
        """Step ids are fixed slugs (progress and the bot keep them), each used once;
        a duplicate is reported at its own line."""
        seen: dict[str, int] = {}
        for index, step in enumerate(as_list(self.data.get("steps"))):
            if not isinstance(step, dict) or not isinstance(step.get("id"), str):
                continue  # (the model says what is missing or wrong)
            step_id = step["id"]
            if not re.fullmatch(SLUG, step_id):
                raise self.error(
                    ("steps", index, "id"),
                    f"step id {short(step_id)!r} is not a slug: lower-case letters, digits "
                    "and '-', starting with a letter or digit"
                    + (" (no variables: progress is kept by id)" if "@{" in step_id else ""),
                )
            if step_id in seen:
                raise self.error(
                    ("steps", index, "id"),
                    f"duplicate step id {step_id!r} (step {seen[step_id] + 1} has it too)",
                )
            seen[step_id] = index

    def _step_of(self, loc: Loc) -> Any:
        """The step a check at ``loc`` belongs to (None for a prerequisite)."""
        if loc[0] != "steps":
            return None
        return as_list(self.data.get("steps"))[int(loc[1])]

    def _checks(self) -> Iterator[tuple[Loc, Any]]:
        for index, check in enumerate(as_list(self.data.get("prerequisites"))):
            yield ("prerequisites", index), check
        for s, step in enumerate(as_list(self.data.get("steps"))):
            if isinstance(step, dict):
                for c, check in enumerate(as_list(step.get("checks"))):
                    yield ("steps", s, "checks", c), check

    def _give_probe_image(self) -> None:
        """A lesson's ``probe_image`` variable is the image of its outside checks."""
        declared = self.data.get("variables")
        if not isinstance(declared, dict) or "probe_image" not in declared:
            return
        for _, check in self._checks():
            if isinstance(check, dict) and check.get("from") == "outside":
                check.setdefault("probe_image", "@{probe_image}")

    def _bind_values(self, values: Mapping[str, str]) -> dict[str, str]:
        declared = self.data.get("variables") or {}
        if not isinstance(declared, dict):
            return {}
        for name in declared:
            if name in BUILTINS:
                raise self.error(
                    ("variables", name),
                    f"{name} is built in ({BUILTINS[name]}): use @{{{name}}} without declaring it",
                )
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise LessonError(
                f"lesson {self.data.get('id', self.path.stem)!r} has no variable {unknown[0]!r}"
                f"{did_you_mean(unknown[0], declared)}",
                hint=f"its variables: {', '.join(declared) or 'none'}",
            )
        bound = {}
        for name, spec in declared.items():
            default = spec.get("default") if isinstance(spec, dict) else None
            bound[str(name)] = str(values.get(name, default if default is not None else ""))
        return bound

    def _substitute(self, bound: dict[str, str]) -> Any:
        seen = 0

        def walk(node: Any, loc: Loc) -> Any:
            # Bounded: YAML aliases can make a 1 kB file expand to billions of
            # values ("billion laughs"), and nesting deeper than any lesson is
            # refused before it exhausts Python's stack.
            nonlocal seen
            seen += 1
            if seen > MAX_VALUES:
                raise self.error(
                    loc, f"more than {MAX_VALUES} values (YAML aliases expanding?): too large"
                )
            if len(loc) > MAX_DEPTH and isinstance(node, dict | list):
                raise self.error(loc, f"nested more than {MAX_DEPTH} levels deep")
            if isinstance(node, dict):
                return {k: walk(v, (*loc, k)) for k, v in node.items()}
            if isinstance(node, list):
                return [walk(v, (*loc, i)) for i, v in enumerate(node)]
            if isinstance(node, str) and "@" in node and loc[:1] != ("variables",):
                quote = bool(loc) and (
                    loc[-1] in COMMAND_KEYS or loc[:1] in (("cleanup",), ("setup",))
                )
                return VAR.sub(lambda m: replace(m, loc, quote), node)
            return node

        def replace(match: re.Match[str], loc: Loc, quote: bool) -> str:
            escaped, name = match.groups()
            if escaped:
                return "@@{" + name + "}" if name in BUILTINS else "@{" + name + "}"
            if name in BUILTINS:
                return match.group(0)  # bound where the lesson runs (bind_builtins)
            if name not in bound:
                raise self.error(
                    loc,
                    f"unknown variable @{{{name}}}{did_you_mean(name, bound)}",
                    hint="declare it under `variables:` with a default",
                )
            return shlex.quote(bound[name]) if quote else bound[name]

        return walk(self.data, ())

    def _from_validation(self, exc: ValidationError, values: Mapping[str, str]) -> LessonError:
        err = exc.errors()[0]
        loc = _strip_tags(tuple(err["loc"]))
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            field = str(loc[-1])
            allowed = _allowed_fields(loc[:-1], self.data)
            message = f"unknown field {field!r}{did_you_mean(field, allowed)}"
        elif err["type"] == "missing":
            message = f"missing required field {loc[-1]!r}"
        elif err["type"] == "literal_error" and isinstance(err.get("input"), str):
            expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
            message = (
                f"{short(err['input'])!r} is not one of {', '.join(expected)}"
                f"{did_you_mean(err['input'], expected)}"
            )
        elif "input" in err and not isinstance(err["input"], dict | list):
            message = f"{message} (got {short(err['input'])!r})"
        more = len(exc.errors()) - 1
        hint = f"{more} more problem(s) after this one" if more else None
        if values:
            hint = (
                (hint + "; " if hint else "")
                + "variables given: "
                + ", ".join(f"{k}={v!r}" for k, v in values.items())
            )
        return self.error(loc, message, hint)


def _has_field(model: type[BaseModel], name: str) -> bool:
    """Whether ``model`` takes ``name`` in a lesson (a field, or a field's alias)."""
    return any(name in (key, field.alias) for key, field in model.model_fields.items())


def _strip_tags(loc: Loc) -> Loc:
    """Drop the union tag pydantic puts after a check's index (``checks.0.port.port``)."""
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (
            i >= 2 and loc[i - 2] in ("checks", "prerequisites") and isinstance(loc[i - 1], int)
        )
    )


def _allowed_fields(loc: Loc, data: Any) -> list[str]:
    """The fields the model at ``loc`` accepts (for "did you mean")."""
    node = data
    for part in loc:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
    model: type[BaseModel]
    if len(loc) >= 2 and loc[-2] in ("checks", "prerequisites") and isinstance(node, dict):
        model = REGISTRY.get(str(node.get("kind")), Check)
    else:
        sections: dict[str, type[BaseModel]] = {
            "variables": Variable,
            "concepts": Concept,
            "steps": Step,
        }
        model = sections.get(str(loc[0]), Lesson) if loc else Lesson
    return list(model.model_fields)
