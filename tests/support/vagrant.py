"""Vagrant with libvirt in tests: libvirtd confined to a network namespace of the test.

vagrant-libvirt gives every VM a management network, a bridge on private
addresses (192.168.121.0/24) plus any `private_network`. On a shared machine
those must not appear on its own network, so the test makes a network
namespace, starts virtlogd and libvirtd inside it (their bridges, dnsmasq and
VMs live there), and runs vagrant inside it too. Everything is removed after.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

VIRSH = ["virsh", "-q", "-c", "qemu:///system"]
PIDFILES = (Path("/run/libvirtd.pid"), Path("/run/virtlogd.pid"))
IMAGES = Path("/var/lib/libvirt/images")  # libvirt's default storage pool


def missing_prerequisite() -> str | None:
    for tool, package in {
        "vagrant": "vagrant",
        "libvirtd": "libvirt-daemon-system",
        "virsh": "libvirt-clients",
        "nsenter": "util-linux",
        "dnsmasq": "dnsmasq-base",
    }.items():
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is not installed (apt-get install {package})"
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Status}", "vagrant-libvirt"], capture_output=True, text=True
    )
    if "ok installed" not in installed.stdout:
        return "vagrant-libvirt is not installed (apt-get install vagrant-libvirt)"
    if os.geteuid() != 0:
        return "libvirtd in a network namespace needs root"
    for pidfile in PIDFILES:
        with contextlib.suppress(OSError, ValueError):
            if _alive(int(pidfile.read_text())):
                return f"a {pidfile.stem} runs already on this machine; this test starts its own"
    return None


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class LibvirtNetns:
    """libvirtd and virtlogd in a network namespace of their own."""

    box_volumes: str  # the prefix of the volumes vagrant-libvirt makes of the test's box
    name: str = field(default_factory=lambda: f"hn-vg-{secrets.token_hex(2)}")
    networks_before: set[str] = field(default_factory=set)
    pools_before: set[str] = field(default_factory=set)

    @property
    def path(self) -> str:
        return f"/var/run/netns/{self.name}"

    def inside(self, *argv: str) -> list[str]:
        return ["nsenter", f"--net={self.path}", *argv]

    def start(self) -> None:
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)
        for daemon in ("virtlogd", "libvirtd"):
            subprocess.run(self.inside(daemon, "-d"), check=True, timeout=60)
        deadline = time.monotonic() + 60
        while subprocess.run([*VIRSH, "version"], capture_output=True).returncode != 0:
            assert time.monotonic() < deadline, "libvirtd did not answer within 60 s"
            time.sleep(0.5)
        self.networks_before = set(self._list("net-list", "--all", "--name"))
        self.pools_before = set(self._list("pool-list", "--all", "--name"))

    def _list(self, *args: str) -> list[str]:
        res = subprocess.run([*VIRSH, *args], capture_output=True, text=True, timeout=60)
        return res.stdout.split() if res.returncode == 0 else []

    def _virsh(self, *args: str) -> None:
        subprocess.run([*VIRSH, *args], capture_output=True, timeout=120)

    def stop(self) -> None:
        """Undo everything: what vagrant left in libvirt, the daemons, the namespace."""
        if Path(self.path).exists():
            for domain in self._list("list", "--all", "--name"):
                self._virsh("destroy", domain)
                self._virsh("undefine", domain, "--remove-all-storage")
            for pool in self._list("pool-list", "--all", "--name"):
                self._virsh("pool-start", pool)  # (an inactive pool lists no volumes)
                for volume in self._list("vol-list", pool, "--name"):
                    if pool not in self.pools_before or volume.startswith(self.box_volumes):
                        self._virsh("vol-delete", volume, "--pool", pool)
                if pool not in self.pools_before:
                    self._virsh("pool-destroy", pool)
                    self._virsh("pool-undefine", pool)
            for network in self._list("net-list", "--all", "--name"):
                if network not in self.networks_before:
                    self._virsh("net-destroy", network)
                    self._virsh("net-undefine", network)
        for pidfile in PIDFILES:
            with contextlib.suppress(OSError, ValueError):
                pid = int(pidfile.read_text())
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 20
                while _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        for pid in self.processes():  # dnsmasq, a qemu libvirtd left
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        # The box's base volume outlives `vagrant destroy`; should virsh not have
        # deleted it above, its file goes here (1 GB each run otherwise).
        for volume in IMAGES.glob(self.box_volumes + "*"):
            volume.unlink(missing_ok=True)

    def leftovers(self) -> list[str]:
        """What of the namespace and the test's box is still on this machine."""
        found = [f"process {pid}" for pid in self.processes()]
        found += [f"volume {v}" for v in IMAGES.glob(self.box_volumes + "*")]
        return found + ([self.path] if Path(self.path).exists() else [])

    def processes(self) -> list[int]:
        """Live processes in the namespace."""
        try:
            inode = os.stat(self.path).st_ino
        except OSError:
            return []
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    if os.stat(f"/proc/{entry}/ns/net").st_ino == inode and _alive(int(entry)):
                        found.append(int(entry))
        return found
