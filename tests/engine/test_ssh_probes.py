"""The typed probes and Engine questions over SSH, read on a real netns lab.

A netns lab is a network namespace of this host with its own sshd and dockerd:
what the probes see there must be the lab's (its sockets, interfaces, network
namespace, engine), never this host's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostnet.engine.dockerapi import ContainerEvent, DockerApi
from hostnet.engine.probes import NAMESPACE_KINDS, HttpReply, Process
from hostnet.engine.ssh import SSHTarget
from hostnet.engine.targets import LocalTarget
from tests.support.netns import open_lab

pytestmark = pytest.mark.docker

PORT = 8089  # free in a new lab: its network namespace has nothing but sshd and dockerd


@pytest.fixture
def lab_and_server(netns_labs, tmp_path: Path) -> Iterator[tuple[object, SSHTarget, int]]:  # type: ignore[no-untyped-def]
    """A lab, its SSH target, and an HTTP server (started from here) in the lab's namespace."""
    lab = netns_labs()
    (tmp_path / "hello.txt").write_text("served in the lab\n")
    server = subprocess.Popen(
        ["nsenter", f"--net={lab.netns}", sys.executable, "-m", "http.server", str(PORT),
         "--bind", "0.0.0.0", "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    target = open_lab(lab)
    try:
        deadline = time.monotonic() + 15
        while not target.listeners(PORT):
            assert server.poll() is None, "the lab's HTTP server did not start"
            assert time.monotonic() < deadline, "the lab's HTTP server never listened"
            time.sleep(0.1)
        yield lab, target, server.pid
    finally:
        target.close()
        server.kill()
        server.wait()


def test_listeners_and_http_are_the_labs(lab_and_server) -> None:  # type: ignore[no-untyped-def]
    _, target, pid = lab_and_server
    sockets = target.listeners(PORT)
    assert [(s.proto, s.endpoint) for s in sockets] == [("tcp", f"0.0.0.0:{PORT}")]
    comm = Path(f"/proc/{pid}/comm").read_text().strip()
    assert sockets[0].processes == (Process(pid, comm),) and sockets[0].owners_visible
    local = LocalTarget()
    assert pid not in {p.pid for s in local.listeners(PORT) for p in s.processes}

    url = f"http://127.0.0.1:{PORT}/hello.txt"
    assert target.http_get(url, 5) == HttpReply(200, "served in the lab\n", None)
    assert (
        local.http_get(url, 2).body != "served in the lab\n"
    )  # this host's loopback is not the lab's


def test_interfaces_and_namespaces_are_the_labs(lab_and_server) -> None:  # type: ignore[no-untyped-def]
    lab, target, pid = lab_and_server
    shown = subprocess.run(
        ["nsenter", f"--net={lab.netns}", "ip", "-json", "link", "show"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    in_lab = {link["ifname"]: link["ifindex"] for link in json.loads(shown)}
    found = target.interfaces()
    assert {i.name: i.index for i in found} == in_lab and "lo" in in_lab
    assert {i.name for i in found} != {i.name for i in LocalTarget().interfaces()}

    host = LocalTarget().namespaces()
    there = target.namespaces()  # of the probe's own process, started over SSH
    assert there.problem is None and there.process != os.getpid()
    assert there.net == os.stat(lab.netns).st_ino != host.net
    # A netns lab has a network namespace of its own and shares every other one.
    assert host.shared_with(there) == frozenset(NAMESPACE_KINDS) - {"net"}
    server = target.namespaces(pid)
    assert server.process == pid and server.net == there.net
    assert target.namespaces(2**22 + 1).problem == f"no process {2**22 + 1}"


def test_resolv_conf_and_split_characters_over_ssh(lab_and_server) -> None:  # type: ignore[no-untyped-def]
    _, target, _ = lab_and_server
    # A netns lab shares this host's files: the same resolver settings, read over SSH.
    assert target.resolv_conf() == LocalTarget().resolv_conf()
    seen: list[str] = []
    res = target.run(
        r"printf '\303'; sleep 0.3; printf '\251\n'",
        timeout=10,
        on_output=lambda stream, text: seen.append(text),
    )
    assert res.stdout == "é\n" and seen == ["é\n"]


def test_container_files_and_events_come_from_the_labs_engine(
    netns_labs, standin_image: str
) -> None:  # type: ignore[no-untyped-def]
    target = open_lab(netns_labs())
    try:
        api = target.docker()
        since = time.time()
        ran = target.run(
            f"docker run --name lab_exit {standin_image} sh -c 'echo lab > /tmp/note; exit 5'",
            timeout=60,
        )
        assert ran.exit_code == 5, ran.output
        assert api.container_file("lab_exit", "/tmp/note").text == "lab\n"
        missing = api.container_file("lab_exit", "/no/such/file")
        assert missing.text is None and "/no/such/file" in missing.problem
        die = _events_until(api, "lab_exit", since, "die")
        assert [e.exit_code for e in die if e.action == "die"] == [5]
        # The host's own engine knows nothing of it.
        assert LocalTarget().docker().container_file("lab_exit", "/tmp/note").text is None

        assert target.run(f"docker run -d --name lab_exec {standin_image} sleep 60", timeout=60).ok
        since = time.time()
        assert target.run("docker exec lab_exec sh -c 'exit 6'", timeout=30).exit_code == 6
        events = _events_until(api, "lab_exec", since, "exec_die")
        assert [e.exec_command for e in events if e.exec_command] == ["sh -c exit 6"]
        assert [e.exit_code for e in events if e.action == "exec_die"] == [6]
    finally:
        target.close()


def _events_until(
    api: DockerApi, name: str, since: float, action: str
) -> tuple[ContainerEvent, ...]:
    """The container's events since ``since``, once ``action`` is among them (the
    engine records an event a moment after the fact), within 10 s."""
    deadline = time.monotonic() + 10
    while True:
        events = api.container_events(name, since=since, until=time.time())
        if any(e.action == action for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def test_one_probe_process_and_one_engine_stream_serve_the_lab(lab_and_server) -> None:  # type: ignore[no-untyped-def]
    """Facts and engine calls each go through one long-lived process on the lab, and
    their answers are the ones the one-shot ways give; doctor --lab says so."""
    from hostnet.engine.doctor import examine
    from hostnet.engine.probes import listener_from_json

    _lab, target, _pid = lab_and_server
    for _ in range(3):
        fast = target.listeners(PORT)
        once = tuple(listener_from_json(x) for x in target._probe_once("listeners", str(PORT)))
        assert fast and fast == once  # the server (netlink) and a python3 of its own (/proc)
        assert target.docker().version()
    findings = {f.name: f for f in examine(target, image="hostnet/no-such-image:never")}
    assert findings["lab engine"].level == "ok", findings["lab engine"]
    assert "docker system dial-stdio" in findings["lab engine"].detail
    assert findings["lab facts"].level == "ok", findings["lab facts"]
    assert "one python3 process" in findings["lab facts"].detail
    assert findings["lab commands"].level == "ok", findings["lab commands"]
    assert "runs every command" in findings["lab commands"].detail
