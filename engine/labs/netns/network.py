"""A lab's network: a free /24, the namespace, and the veth pair into it."""

from __future__ import annotations

import contextlib
import ipaddress
import re
import subprocess
from pathlib import Path

from ...errors import EnvironmentProblem
from .layout import LAB_NETWORK, MAX_SLOTS, NetnsLab, host_interface, subnet
from .processes import run


def free_slot(name: str, used: set[int]) -> int:
    """The first slot not in ``used`` (the labs of the same base directory) that
    clashes with nothing on the host.

    Labs under other base directories show up as the host's interfaces and
    addresses; a /24 is also skipped if any host address or a route at least as
    specific lies inside it.
    """
    host_addresses: list[ipaddress.IPv4Address] = []
    host_routes: list[ipaddress.IPv4Network] = []
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, timeout=10
        ).stdout
        for match in re.finditer(r"\binet (\d+\.\d+\.\d+\.\d+)", out):
            host_addresses.append(ipaddress.IPv4Address(match[1]))
        out = subprocess.run(
            ["ip", "-4", "route", "show"], capture_output=True, text=True, timeout=10
        ).stdout
        for line in out.splitlines():
            with contextlib.suppress(ValueError, IndexError):
                host_routes.append(ipaddress.IPv4Network(line.split()[0], strict=False))
    for slot in range(MAX_SLOTS):
        network = subnet(slot)
        if slot in used or Path("/sys/class/net", host_interface(slot)).exists():
            continue
        if any(address in network for address in host_addresses):
            continue
        if any(route.subnet_of(network) for route in host_routes):
            continue
        return slot
    raise EnvironmentProblem(
        f"lab {name}: no free /24 left in {LAB_NETWORK} ({MAX_SLOTS} labs at most)",
        hint="take labs down that are no longer needed",
    )


def make_network(lab: NetnsLab, tools: dict[str, str]) -> None:
    ip, ns, veth = tools["ip"], lab.name, lab.host_interface
    # The peer is created directly inside the namespace, so it can be called
    # eth0 there without clashing with the host's own eth0.
    for args in (
        ["netns", "add", ns],
        ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
        ["addr", "add", f"{lab.host_address}/24", "dev", veth],
        ["link", "set", veth, "up"],
        ["-n", ns, "link", "set", "lo", "up"],
        ["-n", ns, "addr", "add", f"{lab.address}/24", "dev", "eth0"],
        ["-n", ns, "link", "set", "eth0", "up"],
    ):
        run(lab.name, [ip, *args])


def remove_network(name: str, lab: NetnsLab | None, netns: Path | None, ip: str) -> None:
    """Delete the veth (deleting one end deletes both) and the namespace, if ours."""
    if lab is not None and Path("/sys/class/net", lab.host_interface).exists():
        run(name, [ip, "link", "del", lab.host_interface], check=False)
    if netns is not None and netns.exists():
        run(name, [ip, "netns", "del", name])
