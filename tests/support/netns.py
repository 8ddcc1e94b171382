"""netns labs in tests: opening one over SSH, and what a lab left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hostnet.engine import hostprobe
from hostnet.engine.labs.netns import NetnsLab
from hostnet.engine.labs.netns.processes import lab_processes, signal_all
from hostnet.engine.ssh import SSHTarget


def open_lab(lab) -> SSHTarget:  # type: ignore[no-untyped-def]
    return SSHTarget.open(lab.name, ssh_config=lab.ssh_config)


@contextmanager
def frozen(lab: NetnsLab) -> Iterator[set[int]]:
    """The whole lab stops, as a paused VM does (every process of its network
    namespace: sshd and its sessions, dockerd, containers), then goes on."""
    pids = lab_processes([], hostprobe.namespace_id(str(lab.netns)))
    assert pids, f"no process of {lab.name} to stop"
    signal_all(pids, signal.SIGSTOP)
    try:
        yield pids
    finally:
        signal_all(pids, signal.SIGCONT)


def leftovers(lab: NetnsLab) -> list[str]:
    """Everything of ``lab`` still on the machine (empty once it is down)."""
    found: list[str] = []
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    if lab.name in (line.split()[0] for line in namespaces.splitlines() if line.strip()):
        found.append(f"network namespace {lab.name}")
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    if re.search(rf"^\d+: {re.escape(lab.host_interface)}[@:]", links, re.M):
        found.append(f"interface {lab.host_interface}")
    paths = [str(lab.directory), str(lab.run_dir)]
    for proc in hostprobe.processes():
        if proc.pid == os.getpid():
            continue
        if any(re.search(re.escape(path) + r"(/|\s|$)", proc.cmdline) for path in paths):
            found.append(f"process {proc.pid}: {proc.cmdline}")
    for line in Path("/proc/mounts").read_text().splitlines():
        mount_point = line.split()[1]
        if any(mount_point == path or mount_point.startswith(f"{path}/") for path in paths):
            found.append(f"mount {mount_point}")
    found += [f"path {path}" for path in paths if Path(path).exists()]
    return found
