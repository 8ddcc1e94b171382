"""Lab VMs in tests: what a VM left behind, commands on it, its prerequisites."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hostnet.engine.labs import vm

VM_CACHE = Path(os.environ.get("HOSTNET_VM_CACHE", "/var/cache/docker-hostnet/vm"))
TOOLS = {"qemu-system-x86_64": "qemu-system-x86", "qemu-img": "qemu-utils", "ssh": "openssh-client"}


def missing_prerequisite() -> str | None:
    """Why lab VMs cannot run here, or None (scripts/test.sh provides them all)."""
    for tool, package in TOOLS.items():
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install {package})"
    if os.geteuid() != 0:
        return "lab VMs need root"
    if not (VM_CACHE / "images" / "current" / "complete").exists():
        return f"no lab VM image in {VM_CACHE}: run scripts/vm-lab.sh build (scripts/test.sh does)"
    return None


def on_vm(lab: vm.VmLab, command: str, timeout: float = 60) -> str:
    """Run a command on the VM with OpenSSH and its generated config; its stdout."""
    res = subprocess.run(
        ["ssh", "-F", str(lab.ssh_config), "-o", "BatchMode=yes", lab.name, command],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, f"{command}: {res.stderr}"
    return res.stdout


def listening(port: int) -> list[str]:
    """Sockets listening on TCP ``port`` on this machine (any address): ``ss`` lines."""
    res = subprocess.run(
        ["ss", "-Htln", f"sport = :{port}"], capture_output=True, text=True, check=True
    )
    return res.stdout.splitlines()


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line contains ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError, IndexError):
            continue
        if state != "Z" and text in cmdline:
            found.append(f"{entry}: {cmdline.strip()}")
    return found


def leftovers(lab: vm.VmLab) -> list[str]:
    """Everything of a VM still on this machine: empty once it is down."""
    found = [f"process {p}" for p in processes_mentioning(str(lab.directory))]
    found += [f"listener {line}" for line in listening(lab.port)]
    if lab.directory.exists():
        found.append(f"folder {lab.directory}: {sorted(p.name for p in lab.directory.iterdir())}")
    return found
