"""Making a lab and taking it down: the public operations (see the package's notes)."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Mapping
from pathlib import Path

from ...errors import EnvironmentProblem
from . import state
from .daemons import (
    START_TIMEOUT,
    ensure_image,
    healthy,
    start_dockerd,
    start_sshd,
    wait_for_dockerd,
    wait_for_sshd,
)
from .layout import SSH_PORT, SSHD, Layout, NetnsLab, check_name, default_base, lab_dir, subnet
from .network import free_slot, make_network
from .ssh_files import write_ssh_files
from .teardown import teardown

# The programs up() runs, each with how to install it.
TOOL_HINTS: Mapping[str, str] = {
    "ip": "apt-get install iproute2",
    "nsenter": "apt-get install util-linux",
    "umount": "apt-get install mount",
    "dockerd": "apt-get install docker.io (or run scripts/ensure-docker.sh)",
    "docker": "install the docker CLI (scripts/ensure-docker.sh)",
    "ssh-keygen": "apt-get install openssh-client",
}


def up(name: str, *, image: str | None = None, base: Path | None = None) -> NetnsLab:
    """Make lab ``name`` (or return it if it is already up and healthy).

    A lab that exists but is not healthy (a daemon died, the machine rebooted,
    a previous up() was interrupted) is torn down and made again. With
    ``image``, that image is copied from the host's engine into the lab's.
    ``base``: the directory of labs (default: :func:`default_base`).
    """
    check_name(name)
    _require_root(name)
    tools = _require_tools(name)
    directory = lab_dir(name, base)
    with state.locked(name):
        lab = state.read(directory)
        if lab is not None and healthy(lab):
            if image:
                ensure_image(lab, image, tools)
            return lab
        if state.present(name, directory):
            teardown(name, directory, tools)
        state.check_name_is_free(name, directory)
        lab = _create(name, directory)
        try:
            _start(lab, tools)
            if image:
                ensure_image(lab, image, tools)
        except BaseException:
            # up() returns a whole lab or leaves nothing; the original error wins.
            with contextlib.suppress(Exception):
                teardown(name, directory, tools)
            raise
        return lab


def down(name: str, *, base: Path | None = None) -> bool:
    """Remove lab ``name`` entirely; False if there was nothing to remove."""
    check_name(name)
    _require_root(name)
    tools = {tool: shutil.which(tool) or tool for tool in ("ip", "umount", "docker")}
    directory = lab_dir(name, base)
    with state.locked(name):
        if not state.present(name, directory):
            return False
        teardown(name, directory, tools)
        return True


def get(name: str, base: Path | None = None) -> NetnsLab | None:
    """The lab recorded under ``base`` (healthy or not), or None."""
    check_name(name)
    return state.read(lab_dir(name, base))


def list_labs(base: Path | None = None) -> list[NetnsLab]:
    """Every lab recorded under ``base``, by name."""
    return state.list_labs(default_base() if base is None else base)


def _require_root(name: str) -> None:
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            f"lab {name}: network-namespace labs need root (running as uid {os.geteuid()})",
            hint="run it as root, e.g. with sudo",
        )


def _require_tools(name: str) -> dict[str, str]:
    """Absolute paths of the programs up() runs; a clear error for the first one missing."""
    tools: dict[str, str] = {}
    for tool, hint in TOOL_HINTS.items():
        path = shutil.which(tool)
        if path is None:
            raise EnvironmentProblem(f"lab {name}: `{tool}` is not installed", hint=hint)
        tools[tool] = path
    if not os.access(SSHD, os.X_OK):
        raise EnvironmentProblem(
            f"lab {name}: {SSHD} is missing (the lab's SSH server is OpenSSH's sshd)",
            hint="apt-get install openssh-server",
        )
    return tools


def _create(name: str, directory: Path) -> NetnsLab:
    """Pick a slot and record the lab before making anything, so down() can find it."""
    used = {lab.slot for lab in state.list_labs(directory.parent)}
    network = subnet(free_slot(name, used))
    layout = Layout(name, directory)
    lab = NetnsLab(
        name=name,
        directory=directory,
        address=str(network[2]),
        host_address=str(network[1]),
        ssh_port=SSH_PORT,
        ssh_config=layout.ssh_config,
        docker_host=f"unix://{layout.docker_sock}",
    )
    state.record(lab)
    return lab


def _start(lab: NetnsLab, tools: dict[str, str]) -> None:
    layout = Layout(lab.name, lab.directory)
    make_network(lab, tools)
    dockerd = start_dockerd(lab, layout, tools)
    write_ssh_files(lab, layout, tools)  # while dockerd boots
    sshd = start_sshd(lab, layout, tools)
    deadline = time.monotonic() + START_TIMEOUT
    wait_for_dockerd(lab, layout, dockerd, deadline, tools)
    wait_for_sshd(lab, layout, sshd, deadline)
