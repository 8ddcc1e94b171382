"""The network map read from live targets: this machine's engine with nginx on the
host network and a second nginx on the default bridge; the same as a user
without root (it degrades with notes); and a netns lab over SSH (the lab's
network, never this host's). Each fact is checked against the kernel or the
engine read another way."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.netmap import NetworkMap, build_map, read_map
from hostnet.engine.probes import network_view_from_json
from hostnet.engine.targets import LocalTarget, Target
from tests.engine.test_ssh import open_lab
from tests.support.env import unavailable
from tests.support.netmaps import start_pair

pytestmark = pytest.mark.docker
NOBODY = 65534


def inode(path: str) -> int:
    link = os.readlink(path)
    return int(link[link.index("[") + 1 : -1])


def iflink_inside(pid: int) -> int:
    """The index of eth0's peer, read by the container's own sysfs (its mount and
    network namespaces), not by `ip` as the probe does."""
    out = subprocess.run(
        ["nsenter", "-t", str(pid), "--net", "--mount", "cat", "/sys/class/net/eth0/iflink"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(out)


def check_truth(m: NetworkMap, target: Target, host: str, bridge: str) -> dict[str, Any]:
    """What every map of the pair must say; returns the engine's view of the bridge one."""
    api = target.docker()
    raw = api.inspect_container(bridge)
    assert raw is not None
    on_host, on_bridge = m.container(host), m.container(bridge)
    assert on_host is not None and on_bridge is not None
    # nginx on the host network: in the host's namespace, no address, owns port 80.
    assert on_host.namespace == "host" and on_host.netns == m.netns and on_host.addresses == ()
    port80 = [s for s in m.sockets_in("host") if s.port == 80 and s.proto == "tcp"]
    assert [(s.container, s.reach) for s in port80] == [(host, "host")], m.sockets_in("host")
    assert {o.name for o in port80[0].owners} == {"nginx"}
    # nginx on the bridge: its own namespace, its address, its veth pair on docker0.
    ip = raw["NetworkSettings"]["Networks"]["bridge"]["IPAddress"]
    assert on_bridge.namespace == "own" and on_bridge.netns not in (None, m.netns)
    assert on_bridge.addresses == (
        f"{ip}/{raw['NetworkSettings']['Networks']['bridge']['IPPrefixLen']}",
    )
    [veth] = on_bridge.veths
    assert veth.container_end == "eth0" and veth.bridge == "docker0" and veth.host_end
    host_end = next(i for i in m.interfaces if i.name == veth.host_end)
    assert host_end.kind == "veth" and host_end.master == "docker0"
    assert host_end.name in next(b for b in m.bridges if b.interface == "docker0").ports
    assert host_end.index == iflink_inside(raw["State"]["Pid"])
    inside = [(s.endpoint, s.container, s.reach, s.via) for s in m.sockets_in(bridge)]
    assert ("0.0.0.0:80", bridge, "bridge", (ip,)) in inside
    return raw


@pytest.fixture
def pair(standin_image: str, docker_client) -> Iterator[tuple[LocalTarget, str, str]]:  # type: ignore[no-untyped-def]
    target = LocalTarget()
    suffix = secrets.token_hex(3)
    began = time.time()
    try:
        host, bridge = start_pair(target, standin_image, suffix)
        yield target, host, bridge
        for name in (host, bridge):  # nothing ran inside them: no exec left a trace
            actions = [e.action for e in target.docker().container_events(name, began, time.time())]
            assert not [a for a in actions if a.startswith("exec")], actions
    finally:
        target.run(f"docker rm -f hn_map_h_{suffix} hn_map_b_{suffix}", timeout=60)
        target.close()


def test_the_map_of_this_machine(pair) -> None:  # type: ignore[no-untyped-def]
    target, host, bridge = pair
    m = read_map(target)
    assert m.target == "local" and m.netns == inode("/proc/self/ns/net")
    raw = check_truth(m, target, host, bridge)
    on_bridge = m.container(bridge)
    assert on_bridge is not None and on_bridge.netns == inode(f"/proc/{raw['State']['Pid']}/ns/net")
    eth0 = next(i for i in on_bridge.interfaces if i.name == "eth0")
    assert on_bridge.addresses[0] in eth0.addresses  # read inside, and by the engine: the same
    assert not [n for n in m.notes if host in n or bridge in n]  # root reads everything


def test_without_root_the_map_says_what_it_could_not_read(pair) -> None:  # type: ignore[no-untyped-def]
    """The host probe run as nobody (as on a lab whose user is not root), fed with
    the same engine answers: every container is still placed right; the rest is noted."""
    target, host, bridge = pair
    api = target.docker()
    containers, networks = api.running_containers(), api.networks()
    pids = [str(c["State"]["Pid"]) for c in containers]
    python = shutil.which("python3", path="/usr/bin:/bin")  # not one under /root
    if python is None:
        unavailable("no system python3 that another user may run")
    res = subprocess.run(
        [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            python,
            "-",
            "network",
            *pids,
        ],
        input=Path(hostprobe.__file__).read_text(),
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )  # fmt: skip  (as a lab runs it: the source on stdin)
    assert res.returncode == 0, res.stderr
    m = build_map("local", containers, networks, network_view_from_json(json.loads(res.stdout)))
    on_host, on_bridge = m.container(host), m.container(bridge)
    assert on_host is not None and on_host.namespace == "host"
    assert on_bridge is not None and on_bridge.namespace == "own"
    assert on_bridge.addresses and [v.bridge for v in on_bridge.veths] == ["docker0"]
    assert any(
        n.startswith(f"{bridge}: cannot read its interfaces") and "run as root" in n
        for n in m.notes
    ), m.notes
    port80 = [s for s in m.sockets_in("host") if s.port == 80 and s.proto == "tcp"]
    assert (
        port80
        and not port80[0].owners_visible
        and port80[0].owner_text == "owner hidden (needs root)"
    )
    assert any("hidden from non-root users" in n for n in m.notes)


def test_the_map_of_a_netns_lab_is_the_labs(netns_labs, standin_image: str) -> None:  # type: ignore[no-untyped-def]
    lab = netns_labs("map")
    target = open_lab(lab)
    try:
        host, bridge = start_pair(target, standin_image, secrets.token_hex(3))
        m = read_map(target)
        assert m.target == lab.name and m.netns == os.stat(lab.netns).st_ino  # the lab's
        check_truth(m, target, host, bridge)
        local = {c.name for c in read_map(LocalTarget()).containers}
        assert host not in local and bridge not in local  # this host's engine has neither
    finally:
        target.close()
