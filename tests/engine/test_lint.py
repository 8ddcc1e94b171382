"""`validate`'s warnings about variables (no Docker needed)."""

from __future__ import annotations

from pathlib import Path

from hostnet.engine.lint import lint

LESSON = """\
format_version: 1
id: probe
number: 1
title: Probe
summary: An outside check.
variables:
  probe_image: {default: busybox}
  port: {default: "80"}
steps:
  - id: look
    title: Look
    explanation: Look from outside.
    command: "true"
    checks:
      - kind: port
        port: "@{port}"
        FROM
"""


def _warnings(tmp_path: Path, from_line: str) -> list[str]:
    path = tmp_path / "01-probe.yaml"
    path.write_text(LESSON.replace("FROM", from_line))
    return [p.message for p in lint([path]) if p.level == "warning"]


def test_probe_image_counts_as_used_by_outside_checks(tmp_path: Path) -> None:
    """The loader gives a lesson's probe_image to each `from: outside` check."""
    assert _warnings(tmp_path, "from: outside") == []


def test_probe_image_without_outside_checks_is_unused(tmp_path: Path) -> None:
    warnings = _warnings(tmp_path, "from: host")
    assert len(warnings) == 1 and "variables.probe_image: declared but never used" in warnings[0]
