"""The Mermaid diagram ``show`` writes for each lesson: parsed by Mermaid's own
parser (tests/mermaid, installed by scripts/test.sh with npm ci), and checked
for what it must say: host-network containers inside the host's namespace,
bridge containers outside, joined by a veth pair."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hostnet.engine.loader import load_all, load_lesson
from hostnet.engine.markdown import lesson_markdown
from hostnet.engine.model import Lesson
from hostnet.engine.netmap.mermaid import lesson_diagram
from tests.support.env import REPO, unavailable

PARSER = REPO / "tests" / "mermaid"

EVERY_MODE = """\
format_version: 1
id: every-mode
number: 9
title: Every "mode"
summary: Containers on every kind of network.
steps:
  - id: run
    title: Run them
    explanation: Start them all.
    command: "true"
    checks:
      - {kind: container, name: on-host, network_mode: host}
      - {kind: container, name: "web.1", network_mode: bridge}
      - {kind: container, name: api, network_mode: my_net}
      - {kind: container, name: alone, network_mode: none}
      - {kind: container, name: side, network_mode: "container:api"}
      - {kind: container, name: unknown}
      - {kind: container, name: gone, state: absent}
      - {kind: port, port: 80, process: nginx}
      - {kind: port, port: 8080, listening: false}
      - {kind: port, port: 53, protocol: udp}
"""


def load_text(text: str, tmp_path: Path) -> Lesson:
    path = tmp_path / "every-mode.yaml"
    path.write_text(text)
    return load_lesson(path)


def diagrams(tmp_path: Path) -> dict[str, str]:
    found = {}
    for lesson in [*load_all(), load_text(EVERY_MODE, tmp_path)]:
        text = lesson_diagram(lesson)
        if text is not None:
            found[lesson.id] = text
    return found


def test_every_diagram_parses_with_mermaids_own_parser(tmp_path: Path) -> None:
    if shutil.which("node") is None:
        unavailable("node is not installed (scripts/test.sh installs it)")
    if not (PARSER / "node_modules" / "mermaid").is_dir():
        unavailable("Mermaid's parser is not installed: cd tests/mermaid && npm ci")
    files = []
    for name, text in diagrams(tmp_path).items():
        (tmp_path / f"{name}.mmd").write_text(text)
        files.append(str(tmp_path / f"{name}.mmd"))
    broken = tmp_path / "broken.mmd"
    broken.write_text('flowchart TB\n  subgraph host["unclosed\n  a --> \n')
    res = subprocess.run(
        ["node", str(PARSER / "parse.mjs"), *files, str(broken)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    results = {Path(r["file"]).stem: r for r in map(json.loads, res.stdout.splitlines())}
    assert not results.pop("broken")["ok"]  # the parser does refuse a broken diagram
    assert len(results) == len(files) >= 7
    assert all(r["ok"] and r["type"] == "flowchart-v2" for r in results.values()), results


def _structure(text: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Subgraph → the node ids declared in it (top level: ""), and the edges."""
    inside: dict[str, list[str]] = {"": []}
    stack = [""]
    edges = []
    for line in text.splitlines()[1:]:
        line = line.strip()
        if m := re.match(r"subgraph (\w+)\[", line):
            stack.append(m[1])
            inside[m[1]] = []
        elif line == "end":
            stack.pop()
        elif m := re.match(r"(\w+) ---\|veth pair\| (\w+)$", line):
            edges.append((m[1], m[2]))
        elif m := re.match(r"(\w+)[\[({]", line):
            inside[stack[-1]].append(m[1])
    assert stack == [""], "every subgraph is closed"
    return inside, edges


def test_what_the_diagram_says(tmp_path: Path) -> None:
    text = diagrams(tmp_path)["every-mode"]
    assert text.startswith("flowchart TB\n")
    inside, edges = _structure(text)
    assert inside["host"] == ["c_on_host", "p_tcp80", "p_udp53", "b_bridge", "b_my_net"]
    assert inside["n_web_1"] == ["c_web_1"] and inside["n_api"] == ["c_api"]
    assert inside["n_alone"] == ["c_alone"] and inside["n_side"] == ["c_side"]
    assert inside[""] == ["c_unknown"]  # network mode not checked: no claim where it is
    assert edges == [("b_bridge", "c_web_1"), ("b_my_net", "c_api")]  # no veth for none/container:
    assert "c_gone" not in text and "8080" not in text  # absent, and a port that must be free
    assert "TCP port 80, owned by nginx" in text and "UDP port 53" in text
    assert 'Every "mode"' not in text  # (the title is not in it; quotes in labels are escaped)
    declared = {n for nodes in inside.values() for n in nodes}
    assert {n for edge in edges for n in edge} <= declared
    assert len(declared) == sum(len(nodes) for nodes in inside.values())  # ids unique


def test_show_puts_it_in_a_mermaid_block() -> None:
    lesson = next(lesson for lesson in load_all() if lesson.number == 3)
    markdown = lesson_markdown(lesson)
    block = markdown.split("## What you will build\n\n```mermaid\n", 1)[1].split("\n```\n", 1)[0]
    assert block + "\n" == lesson_diagram(lesson)
    inside, edges = _structure(block)
    assert inside["host"] == ["c_hn_address_host", "b_bridge"]
    assert edges == [("b_bridge", "c_hn_address_bridge")]


@pytest.mark.parametrize("name", ['a"b', "a`b"])
def test_quotes_in_names_cannot_end_a_label(name: str, tmp_path: Path) -> None:
    lesson = load_text(EVERY_MODE.replace("name: on-host", f"name: '{name}'"), tmp_path)
    text = lesson_diagram(lesson)
    assert text is not None
    label = next(line for line in text.splitlines() if line.strip().startswith("c_a_b["))
    assert label.count('"') == 2
