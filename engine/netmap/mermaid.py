"""A Mermaid diagram of what a lesson builds, for ``docker hostnet show`` (GitHub
renders it).

Derived from the lesson's own checks, so authors write nothing more: the
containers its steps check as running or present, with their ``network_mode``,
and the ports they check as listening, with the process that must own them.
Host-network containers and the host's ports are drawn inside the host's
network namespace; every other container gets a namespace of its own, joined
to its network's bridge by a veth pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..checks.container import ContainerCheck
from ..checks.port import PortCheck
from ..model import Lesson


@dataclass(frozen=True)
class Planned:
    name: str
    network_mode: str | None  # None: the lesson does not check it


def planned_containers(lesson: Lesson) -> list[Planned]:
    modes: dict[str, str | None] = {}
    for step in lesson.steps:
        for check in step.checks:
            known = modes.get(getattr(check, "name", "")) is not None
            if isinstance(check, ContainerCheck) and check.state != "absent" and not known:
                modes[check.name] = check.network_mode
    return [Planned(name, mode) for name, mode in modes.items()]


def planned_ports(lesson: Lesson) -> list[PortCheck]:
    seen: dict[tuple[int, str], PortCheck] = {}
    for step in lesson.steps:
        for check in step.checks:
            if isinstance(check, PortCheck) and check.listening:
                key = (int(check.port), check.protocol)
                if key not in seen or (check.process and not seen[key].process):
                    seen[key] = check
    return list(seen.values())


def lesson_diagram(lesson: Lesson) -> str | None:
    """The ``flowchart`` source (no fences), or None when the lesson builds nothing
    to draw (no container or port checks)."""
    containers = planned_containers(lesson)
    ports = planned_ports(lesson)
    if not containers and not ports:
        return None
    on_host = [c for c in containers if c.network_mode == "host"]
    others = [c for c in containers if c.network_mode != "host"]
    bridged = [c for c in others if _bridged(c.network_mode)]
    networks = sorted({c.network_mode for c in bridged if c.network_mode})
    lines = ["flowchart TB", '  subgraph host["Host: its network namespace"]']
    for c in on_host:
        label = f"{c.name}<br/>--network host<br/>no address of its own"
        lines.append(f'    {_id("c", c.name)}["{_text(label)}"]')
    for p in ports:
        owner = f", owned by {p.process}" if p.process else ""
        label = f"{p.protocol.upper()} port {p.port}{owner}"
        lines.append(f'    {_id("p", f"{p.protocol}{p.port}")}(["{_text(label)}"])')
    for net in networks:
        label = "docker0: the bridge of network bridge" if net == "bridge" else f"bridge of {net}"
        lines.append(f'    {_id("b", net)}{{{{"{_text(label)}"}}}}')
    if not on_host and not ports and not networks:
        lines.append('    hostnote["the host\'s own interfaces"]')
    lines.append("  end")
    for c in others:
        if c.network_mode is None:  # not checked: no claim about its namespace
            label = f"{c.name}<br/>network mode not checked"
            lines.append(f'  {_id("c", c.name)}["{_text(label)}"]')
            continue
        label = f"{c.name}: its own network namespace"
        inside = f"{c.name}<br/>--network {c.network_mode}"
        if _bridged(c.network_mode):
            inside += "<br/>eth0: an address of its own"
        lines.append(f'  subgraph {_id("n", c.name)}["{_text(label)}"]')
        lines.append(f'    {_id("c", c.name)}["{_text(inside)}"]')
        lines.append("  end")
    for c in bridged:
        lines.append(f"  {_id('b', c.network_mode or '')} ---|veth pair| {_id('c', c.name)}")
    return "\n".join(lines) + "\n"


def _bridged(mode: str | None) -> bool:
    """On a bridge network (the default, or a user-defined one; not none/container:)."""
    return mode is not None and mode not in ("host", "none") and not mode.startswith("container:")


def _id(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9_]', '_', name)}"


def _text(label: str) -> str:
    """A label inside double quotes: Mermaid's entity codes for what would end it."""
    return label.replace('"', "#quot;").replace("`", "#96;")
