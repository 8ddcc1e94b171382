"""Every lesson, run unattended through the CLI, passes and leaves nothing behind:
no container, network or listening socket it made, on the real engine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.loader import lesson_files, load_lesson
from tests.support.env import offline_values

pytestmark = pytest.mark.docker


def _listening() -> set[tuple[str, int]]:
    found = set()
    for line in (
        Path("/proc/net/tcp").read_text().splitlines()[1:]
        + Path("/proc/net/tcp6").read_text().splitlines()[1:]
    ):
        fields = line.split()
        if fields[3] == "0A":
            found.add((fields[1].rsplit(":", 1)[0], int(fields[1].rsplit(":", 1)[1], 16)))
    return found


@pytest.mark.parametrize("path", lesson_files(), ids=lambda p: p.stem)
def test_lesson_auto_passes_and_leaves_nothing(
    path: Path, hostnet_bin: Path, standin_image: str, docker_client, clean_host: None
) -> None:  # type: ignore[no-untyped-def]
    lesson = load_lesson(path)
    values = offline_values(lesson.variables)
    containers = {c.id for c in docker_client.containers.list(all=True)}
    networks = {n.id for n in docker_client.networks.list()}
    listening = _listening()
    args = [str(hostnet_bin), "lesson", str(lesson.number), "--auto"]
    for name, value in values.items():
        args += ["--var", f"{name}={value}"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    assert "Lesson passed" in res.stdout
    assert {c.id for c in docker_client.containers.list(all=True)} == containers
    assert {n.id for n in docker_client.networks.list()} == networks
    assert _listening() <= listening, "a server the lesson started is still listening"
    assert hostprobe.listeners(80) == []
