"""The network map in a terminal: boxes drawn with Rich.

The host's network namespace is one box: its interfaces, its bridges, the
host-network containers drawn inside it (they share it) with the sockets their
processes own, and the host's own listening sockets. Below it, each bridge with
its containers: each in a box of its own (its own namespace), joined to the
bridge by its veth pair. Fits 80 columns; wider when the terminal is.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from hostnet.engine.netmap import Container, NetworkMap, Socket
from hostnet.engine.netmap.words import network_text, reach_text, where_text
from hostnet.engine.text import plain

MAX_WIDTH = 140  # wider boxes only spread the same lines out


def draw_map(console: Console, m: NetworkMap) -> None:
    """Print the map of ``m`` to ``console`` at its width (at most MAX_WIDTH)."""
    width = min(console.width, MAX_WIDTH)
    console.print(map_renderable(m), width=width, crop=False)


def map_renderable(m: NetworkMap) -> RenderableType:
    parts: list[RenderableType] = [_host_box(m)]
    for bridge in m.bridges:
        members = [c for c in m.containers if any(v.bridge == bridge.interface for v in c.veths)]
        if not members:
            continue
        subnet = f", {bridge.subnet}" if bridge.subnet else ""
        gateway = f", gateway {bridge.gateway}" if bridge.gateway else ""
        tree = Tree(
            Text.assemble(
                (bridge.interface, "bold cyan"),
                f" (bridge of network {bridge.network}{subnet}{gateway})",
            ),
            guide_style="dim",
        )
        for c in members:
            lines: list[RenderableType] = []
            for veth in (v for v in c.veths if v.bridge == bridge.interface):
                host_end = veth.host_end or "(host end: root can name it)"
                lines.append(
                    Text.assemble(
                        (host_end, "cyan"), " ══ veth pair ══ ", (veth.container_end, "cyan")
                    )
                )
            lines.append(_container_box(m, c))
            tree.add(Group(*lines))
        parts += [Text("   │"), Padding(tree, (0, 0, 0, 3))]
    for c in m.containers:  # none, container:NAME: on no bridge
        if c.namespace != "host" and not any(v.bridge for v in c.veths):
            parts += [Text(""), _container_box(m, c)]
    for note in m.notes:
        parts.append(Text(f"note: {plain(note)}", style="yellow"))
    return Group(*parts)


def _host_box(m: NetworkMap) -> Panel:
    inner: list[RenderableType] = [Text("Interfaces", style="bold"), _interfaces(m)]
    for c in m.containers:
        if c.on_host_network:
            inner.append(Text(""))
            inner.append(_container_box(m, c))
    own = [s for s in m.sockets_in("host") if s.container is None]
    if own:
        inner += [Text(""), Text("Listening on the host itself", style="bold")]
        inner.append(_sockets(own))
    netns = f" · network namespace net:[{m.netns}]" if m.netns else ""
    return Panel(
        Group(*inner),
        title=escape(f"Host {plain(m.target)}{netns}"),
        title_align="left",
        box=box.ROUNDED,
    )


def _interfaces(m: NetworkMap) -> Table:
    table = _grid()
    for interface in m.interfaces:
        bridge = m.bridge(interface.name)
        about = []
        if bridge is not None:
            about.append(f"bridge of network {bridge.network}")
        elif interface.kind:
            about.append(interface.kind)
        if interface.master:
            peer = _peer_of(m, interface.name)
            about.append(f"on {interface.master}" + (f", peer of {peer}" if peer else ""))
        text = ", ".join(about)
        addresses = ", ".join(interface.addresses)
        table.add_row(
            Text(plain(interface.name), style="cyan"),
            Text(f"{text}: {addresses}" if text and addresses else text or addresses or "-"),
        )
    return table


def _peer_of(m: NetworkMap, host_end: str) -> str | None:
    for c in m.containers:
        for veth in c.veths:
            if veth.host_end == host_end:
                return f"{veth.container_end} of {c.name}"
    return None


def _container_box(m: NetworkMap, c: Container) -> Panel:
    netns = f" net:[{c.netns}]" if c.netns and not c.on_host_network else ""
    inner: list[RenderableType] = [
        Text(f"{where_text(c)}{netns}", style="bold"),
        Text(f"image {plain(c.image)}", style="dim"),
    ]
    for a in c.attachments:
        if a.address:
            gateway = f", gateway {a.gateway}" if a.gateway else ""
            inner.append(Text(f"{a.network}: {a.address}{gateway}"))
    inside = ", ".join(f"{i.name} {' '.join(i.addresses)}".strip() for i in c.interfaces)
    if inside:
        inner.append(Text(f"interfaces inside: {inside}"))
    if c.published:
        inner.append(Text(f"published: {', '.join(c.published)}"))
    if c.ignored_ports:
        inner.append(
            Text(
                f"-p {', '.join(c.ignored_ports)} discarded: host networking publishes nothing",
                style="yellow",
            )
        )
    where = "host" if c.on_host_network else c.name
    sockets = [s for s in m.sockets if s.namespace == where and s.container == c.name]
    if c.on_host_network or c.namespace == "own":
        inner.append(_sockets(sockets) if sockets else Text("no listening sockets", style="dim"))
    return Panel(
        Group(*inner),
        title=escape(f"{plain(c.name)} · {network_text(c)}"),
        title_align="left",
        box=box.ROUNDED,
        border_style="green" if c.on_host_network else "blue",
    )


def _sockets(sockets: list[Socket]) -> Table:
    table = _grid()
    table.add_column()
    for s in sockets:
        table.add_row(
            Text(f"{s.proto} {s.endpoint}", style="bold"),
            Text(plain(s.owner_text)),
            Text(reach_text(s), style="dim"),
        )
    return table


def _grid() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    return table
