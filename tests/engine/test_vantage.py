"""Namespace evidence and the view from outside, on a real engine: locally and on
a netns lab over SSH (where "the host" is the lab's network namespace, which
PID 1 is not in)."""

from __future__ import annotations

import secrets
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostnet.engine.checks import CheckContext
from hostnet.engine.checks.http import HttpCheck
from hostnet.engine.checks.namespace import NamespaceCheck
from hostnet.engine.checks.port import PortCheck
from hostnet.engine.loader import load_lesson
from hostnet.engine.outside import LABEL, host_address
from hostnet.engine.ssh import SSHTarget
from hostnet.engine.targets import LocalTarget, Target
from hostnet.engine.variables import bind_builtins, uses_builtins

pytestmark = pytest.mark.docker


@pytest.fixture(params=["local", "lab"])
def target(request: pytest.FixtureRequest, standin_image: str) -> Iterator[Target]:
    if request.param == "local":
        yield LocalTarget()
        return
    lab = request.getfixturevalue("netns_labs")()
    ssh = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
    yield ssh
    ssh.close()


def run(target: Target, command: str) -> str:
    res = target.run(command, timeout=60)
    assert res.ok, res.output
    return res.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_host_network_container_shares_the_net_namespace_and_no_other(
    target: Target, standin_image: str
) -> None:
    host = f"hn-ns-host-{secrets.token_hex(3)}"
    bridged = f"hn-ns-bridge-{secrets.token_hex(3)}"
    run(target, f"docker run -d --rm --network host --name {host} {standin_image} sleep 300")
    run(target, f"docker run -d --rm --name {bridged} {standin_image} sleep 300")
    try:
        ctx = CheckContext(target, step_started=0.0)

        def judge(container: str, namespace: str, shared: bool) -> tuple[bool, str]:
            check = NamespaceCheck(
                container=container, namespace=namespace, shared_with_host=shared
            )  # type: ignore[arg-type]
            result = check.evaluate(ctx)
            return result.ok, result.observed

        ok, observed = judge(host, "net", True)
        assert ok, observed
        inodes = observed.removeprefix("container ").split(" vs the host's ")
        assert inodes[0] == inodes[1] and inodes[0].startswith("net:[")  # the evidence
        assert judge(host, "pid", False)[0] and judge(host, "uts", False)[0]
        assert judge(host, "mnt", False)[0]
        assert judge(bridged, "net", False)[0]
        ok, observed = judge(bridged, "net", True)
        assert not ok and observed.split(" vs ")[0] != "container " + observed.split("host's ")[1]
        assert judge(host, "user", True)[0]  # no user namespace unless the daemon remaps
        missing = NamespaceCheck(container="hn-ns-none", namespace="net", shared_with_host=True)
        assert missing.evaluate(ctx).observed == "no such container"
    finally:
        target.run(f"docker rm -f {host} {bridged}", timeout=60)


def test_outside_sees_what_is_bound_to_all_addresses_and_not_to_loopback(
    target: Target, standin_image: str, tmp_path: Path
) -> None:
    wide, narrow = free_port(), free_port()
    servers = (
        f"cd /tmp && (python3 -m http.server --bind 0.0.0.0 {wide} >/dev/null 2>&1 & "
        f"python3 -m http.server --bind 127.0.0.1 {narrow} >/dev/null 2>&1 & "
        f"echo $!) && sleep 1"
    )
    run(target, servers)
    try:
        address = host_address(target)
        assert address and not address.startswith("127.")
        lesson_file = tmp_path / "70-outside.yaml"
        lesson_file.write_text(OUTSIDE.replace("WIDE", str(wide)).replace("NARROW", str(narrow)))
        lesson = load_lesson(lesson_file, {"probe_image": standin_image})
        assert uses_builtins(lesson)
        lesson = bind_builtins(lesson, {"host_address": address})
        checks = lesson.steps[0].checks
        assert [c.probe_image for c in checks] == [standin_image] * 4  # type: ignore[attr-defined]
        assert isinstance(checks[0], HttpCheck) and checks[0].url == f"http://{address}:{wide}/"
        ctx = CheckContext(target, step_started=0.0)
        results = [check.evaluate(ctx) for check in checks]
        assert [r.ok for r in results] == [True] * 4, [r.observed for r in results]
        assert "refused" in results[1].observed.lower() or "no answer" in results[1].observed
        assert isinstance(checks[2], PortCheck)
        assert results[2].observed == f"{address}:{wide} from a container on the bridge: accepted"
        assert f"{address}:{narrow} from a container on the bridge" in results[3].observed
    finally:
        target.run(f"pkill -f 'http.server --bind [0-9.]* ({wide}|{narrow})'", timeout=30)
    left = target.run(f"docker ps -aq --filter label={LABEL}", timeout=30).stdout.strip()
    assert left == "", "the outside probe left containers behind"


def test_the_outside_probe_container_is_removed_when_its_command_times_out(
    standin_image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed ``docker run`` client leaves its container running: the probe
    removes it. (A server that accepts and never answers keeps wget waiting.)"""
    from hostnet.engine import outside

    monkeypatch.setattr(outside, "STARTUP_MARGIN", -2.0)  # kill the client after ~1 s
    target = LocalTarget()
    with socket.socket() as silent:
        silent.bind(("0.0.0.0", 0))
        silent.listen()
        url = f"http://{host_address(target)}:{silent.getsockname()[1]}/"
        reply = outside.Outside(target, standin_image).http_get(url, timeout=3)
    assert reply.status is None
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={LABEL}"], capture_output=True, text=True
    ).stdout.strip()
    assert left == "", "the probe's container outlived its killed client"


OUTSIDE = """\
format_version: 1
id: outside
number: 70
title: From outside
summary: What another machine can reach.
variables:
  probe_image: {default: busybox}
steps:
  - id: look
    title: Look from outside
    explanation: Two servers, one on all addresses, one on loopback.
    command: "true"
    checks:
      - kind: http
        from: outside
        url: http://@{host_address}:WIDE/
      - kind: http
        from: outside
        url: http://@{host_address}:NARROW/
        answers: false
      - kind: port
        from: outside
        port: WIDE
      - kind: port
        from: outside
        port: NARROW
        listening: false
"""
