"""Every lesson, run unattended through the CLI, passes and leaves nothing behind:
no container, network, listening socket (TCP, or abstract UNIX) or firewall rule
it made, on the real engine."""

from __future__ import annotations

import os
import shutil
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


def _abstract_listeners() -> set[str]:
    """Listening abstract UNIX sockets (``@name``): a lesson's setup may make one."""
    found = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) == 8 and int(fields[3], 16) & 0x10000 and fields[7].startswith("@"):
            found.add(fields[7])
    return found


def _firewall() -> str:
    """The filter and nat tables' rules, as `iptables -S` lists them ("" without iptables)."""
    if shutil.which("iptables") is None or os.geteuid() != 0:
        return ""
    return "".join(
        subprocess.run(
            ["iptables", "-t", table, "-S"], capture_output=True, text=True, check=True
        ).stdout
        for table in ("filter", "nat")
    )


@pytest.mark.parametrize("path", lesson_files(), ids=lambda p: p.stem)
def test_lesson_auto_passes_and_leaves_nothing(
    path: Path, hostnet_bin: Path, standin_image: str, docker_client, clean_host: None
) -> None:  # type: ignore[no-untyped-def]
    lesson = load_lesson(path)
    values = offline_values(lesson.variables)
    containers = {c.id for c in docker_client.containers.list(all=True)}
    networks = {n.id for n in docker_client.networks.list()}
    listening = _listening()
    abstract = _abstract_listeners()
    firewall = _firewall()
    args = [str(hostnet_bin), "lesson", str(lesson.number), "--auto"]
    for name, value in values.items():
        args += ["--var", f"{name}={value}"]
    res = subprocess.run(args, capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr
    assert "Lesson passed" in res.stdout
    assert {c.id for c in docker_client.containers.list(all=True)} == containers
    assert {n.id for n in docker_client.networks.list()} == networks
    assert _listening() <= listening, "a server the lesson started is still listening"
    assert _abstract_listeners() <= abstract, "a UNIX socket the lesson made still listens"
    assert _firewall() == firewall, "the lesson left the firewall changed"
    assert hostprobe.listeners(80) == []
