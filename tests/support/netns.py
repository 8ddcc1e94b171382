"""netns labs in tests: opening one over SSH, and what a lab left behind."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from hostnet.engine import hostprobe
from hostnet.engine.labs.netns import NetnsLab
from hostnet.engine.ssh import SSHTarget


def open_lab(lab) -> SSHTarget:  # type: ignore[no-untyped-def]
    return SSHTarget.open(lab.name, ssh_config=lab.ssh_config)


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
