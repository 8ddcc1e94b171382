"""Where a lab lives: its name, its files and directories, its addresses."""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ...errors import EnvironmentProblem
from ..spec import LabSpec

RUN_BASE = Path("/run/docker-hostnet/labs")  # runtime dirs: the engine's socket, --exec-root
LOCK_FILE = RUN_BASE.parent / "labs.lock"
NETNS_DIR = Path("/var/run/netns")  # where `ip netns add NAME` puts the namespace handle
SSHD = "/usr/sbin/sshd"

# Address plan: lab slot N owns 10.213.N.0/24 (.1 host end, .2 the lab) and its
# engine's docker0 is 172.30.N.1/24, so learners can tell addresses apart.
LAB_NETWORK = ipaddress.IPv4Network("10.213.0.0/16")
MAX_SLOTS = 256
SSH_PORT = 22

STATE_FILE = "lab.json"

# The lab's name is also its network namespace's name and the Host of its ssh
# config: short and plain, a subset of every lab name (spec.NAME_PATTERN).
NAME = re.compile(r"[a-z][a-z0-9-]{0,14}")


def default_base() -> Path:
    """Where labs live unless told otherwise: ``$HOSTNET_LAB_DIR`` (read now, not at import)."""
    return Path(os.environ.get("HOSTNET_LAB_DIR", "/var/lib/docker-hostnet/labs"))


def check_name(name: str) -> None:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise EnvironmentProblem(
            f"lab {name!r}: invalid name",
            hint="a lab name is 1-15 characters: a lowercase letter, then lowercase letters, digits or '-'",
        )


def lab_dir(name: str, base: Path | None) -> Path:
    # Absolute: these paths end up in sshd_config, ssh_config and dockerd's flags.
    return Path(default_base() if base is None else base).absolute() / name


def subnet(slot: int) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network((int(LAB_NETWORK.network_address) + (slot << 8), 24))


def host_interface(slot: int) -> str:
    return f"hn-{slot}-h"  # at most 10 characters: interface names stop at 15


@dataclass(frozen=True)
class NetnsLab:
    """One lab: reach it with ``ssh -F <ssh_config> <name>`` or ``docker -H <docker_host>``."""

    name: str
    directory: Path  # everything the lab owns on disk (but the netns handle and run_dir)
    address: str  # the lab's IPv4 address (eth0 inside the namespace)
    host_address: str  # the host's end of the veth
    ssh_port: int
    ssh_config: Path  # OpenSSH client config with `Host <name>`
    docker_host: str  # unix:// socket of the lab's own dockerd

    @property
    def slot(self) -> int:
        return int(self.address.split(".")[2])

    @property
    def netns(self) -> Path:
        return NETNS_DIR / self.name

    @property
    def host_interface(self) -> str:
        return host_interface(self.slot)

    @property
    def run_dir(self) -> Path:
        return RUN_BASE / self.name

    def spec(self) -> LabSpec:
        """The lab as every front end opens it (``registry.add``, ``.open()``)."""
        return LabSpec(name=self.name, ssh_config=self.ssh_config, host=self.name)


class Layout:
    """Where a lab's files live."""

    def __init__(self, name: str, directory: Path) -> None:
        self.directory = directory
        self.state = directory / STATE_FILE
        self.daemon_json = directory / "daemon.json"
        self.data_root = directory / "docker"
        self.dockerd_pid = directory / "dockerd.pid"
        self.dockerd_log = directory / "dockerd.log"
        self.ssh_dir = directory / "ssh"
        self.host_key = self.ssh_dir / "ssh_host_ed25519_key"
        self.client_key = self.ssh_dir / "id_ed25519"
        self.authorized_keys = self.ssh_dir / "authorized_keys"
        self.known_hosts = self.ssh_dir / "known_hosts"
        self.sshd_config = self.ssh_dir / "sshd_config"
        self.sshd_pid = directory / "sshd.pid"
        self.sshd_log = directory / "sshd.log"
        self.ssh_config = directory / "ssh_config"
        self.home = directory / "home"  # the lab's own $HOME for SSH sessions
        self.run_dir = RUN_BASE / name
        self.owner = self.run_dir / "owner"
        self.exec_root = self.run_dir / "exec"
        self.docker_sock = self.run_dir / "docker.sock"
