"""The JSON Schema of lesson files, generated from the model.

``python -m hostnet.engine.schema lessons/lesson.schema.json`` rewrites the
published copy; a test fails when it is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .model import FORMAT_VERSION, Lesson


def lesson_schema() -> dict[str, Any]:
    schema = Lesson.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"docker-hostnet/lesson-v{FORMAT_VERSION}.schema.json",
        **schema,
    }


def render() -> str:
    return json.dumps(lesson_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if out is None:
        sys.stdout.write(render())
    else:
        out.write_text(render())
