"""The published JSON Schema matches the model, and every lesson file satisfies it."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from hostnet.engine.loader import lesson_files
from hostnet.engine.schema import render
from tests.support.env import REPO


def test_published_schema_is_up_to_date() -> None:
    published = (REPO / "lessons" / "lesson.schema.json").read_text()
    assert published == render(), (
        "lessons/lesson.schema.json is stale: "
        "python -m hostnet.engine.schema lessons/lesson.schema.json"
    )


@pytest.mark.parametrize("path", lesson_files(), ids=lambda p: p.name)
def test_lesson_files_validate_against_the_schema(path) -> None:  # type: ignore[no-untyped-def]
    schema = yaml.safe_load((REPO / "lessons" / "lesson.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(path.read_text()))


def test_schema_rejects_an_unknown_check_kind() -> None:
    schema = yaml.safe_load((REPO / "lessons" / "lesson.schema.json").read_text())
    lesson = yaml.safe_load(lesson_files()[0].read_text())
    lesson["steps"][0]["checks"][0]["kind"] = "prot"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(lesson)
