"""``docker hostnet map`` through the installed CLI: the Docker CLI runs the plugin,
which draws this machine's network with a host-network nginx and a bridge one."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from pathlib import Path

import pytest

from hostnet.engine.targets import LocalTarget
from tests.support.netmaps import start_pair


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "80", "NO_COLOR": "1", **env},
    )  # fmt: skip


def test_help_teaches_what_the_picture_shows(hostnet_bin: Path) -> None:
    res = run([str(hostnet_bin), "map", "--help"])
    assert res.returncode == 0
    text = " ".join(res.stdout.split())
    for words in (
        "The outer box is the host's network namespace",
        "every container started with --network host, drawn inside it",
        "joined to the bridge by a veth pair",
        "loopback only, the host's addresses, or the bridge",
        "Nothing runs inside your containers",
        "--lab",
        "--json",
    ):
        assert words in text, words


def test_an_unreachable_engine_is_one_clear_line_and_exit_4(hostnet_bin: Path) -> None:
    res = run([str(hostnet_bin), "map"], DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert res.returncode == 4, res.stderr
    assert res.stderr.startswith("error: cannot reach the Docker engine at unix:///nonexistent")
    assert "hint: is Docker installed and running?" in res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


@pytest.mark.docker
def test_docker_hostnet_map_shows_the_truth(
    docker_config: Path, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    target = LocalTarget()
    suffix = secrets.token_hex(3)
    try:
        host, bridge = start_pair(target, standin_image, suffix)
        res = run(["docker", "hostnet", "map"], DOCKER_CONFIG=str(docker_config))
        assert res.returncode == 0, res.stderr
        lines = res.stdout.splitlines()
        assert all(len(line) <= 80 for line in lines)
        end_of_host = next(i for i, line in enumerate(lines) if line.startswith("╰"))
        in_host, below = lines[: end_of_host + 1], lines[end_of_host + 1 :]
        assert in_host[0].startswith("╭─ Host local · network namespace net:[")
        top = next(i for i, line in enumerate(in_host) if f"╭─ {host} · host network" in line)
        nginx = in_host[top:]
        assert "the host's namespace, no address of its own" in nginx[1]
        assert any("tcp 0.0.0.0:80" in line and "nginx (pid" in line for line in nginx[:12])
        assert not any(f"╭─ {bridge}" in line for line in in_host)
        box = next(i for i, line in enumerate(below) if f"╭─ {bridge} · bridge network" in line)
        assert "its own namespace net:[" in below[box + 1]
        assert any("══ veth pair ══ eth0" in line for line in below)

        res = run(["docker", "hostnet", "map", "--json"], DOCKER_CONFIG=str(docker_config))
        assert res.returncode == 0, res.stderr
        data = json.loads(res.stdout)
        by_name = {c["name"]: c for c in data["containers"]}
        assert by_name[host]["namespace"] == "host" and by_name[bridge]["namespace"] == "own"
        assert by_name[bridge]["veths"][0]["bridge"] == "docker0"
        owners = {(s["port"], s["container"]) for s in data["sockets"] if s["namespace"] == "host"}
        assert (80, host) in owners
    finally:
        target.run(f"docker rm -f hn_map_h_{suffix} hn_map_b_{suffix}", timeout=60)
        target.close()
