"""The network map as a PNG for Slack, drawn by Graphviz from the same model the
terminal draws (``hostnet.engine.netmap``).

The host's network namespace is a cluster: its interfaces, its bridges, the
host ends of veth pairs, and each host-network container as a cluster inside
it with the sockets its processes own. Each bridge container is a cluster of
its own outside, its ``eth0`` joined to its peer on the host by a bold "veth
pair" edge, and the peer to the bridge. Needs Graphviz's ``dot`` (Debian's
``graphviz`` package) and the ``graphviz`` Python package (the ``bot`` extra).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import graphviz

from hostnet.engine.netmap import Container, NetworkMap, Socket
from hostnet.engine.netmap.words import mode_text, reach_text

FONT = "Helvetica"
HOST_COLOUR, CONTAINER_COLOUR, BRIDGE_COLOUR = "#e8f0fe", "#e6f4ea", "#fef7e0"


class PictureError(Exception):
    """The picture could not be drawn (Graphviz missing or failing)."""


def map_png(m: NetworkMap) -> bytes:
    """The PNG of ``m``; raises PictureError when Graphviz cannot draw it."""
    try:
        return bytes(map_graph(m).pipe(format="png"))
    except graphviz.ExecutableNotFound as exc:
        raise PictureError("Graphviz's `dot` is not installed (apt-get install graphviz)") from exc
    except graphviz.CalledProcessError as exc:
        raise PictureError(f"Graphviz failed: {exc}") from exc


def map_graph(m: NetworkMap) -> graphviz.Digraph:
    ids = (f"n{i}" for i in itertools.count())
    g = graphviz.Digraph("netmap")
    g.attr(label=_t(f"Network of {m.target}"), labelloc="t", fontname=FONT, compound="true")
    g.attr("node", shape="box", style="rounded,filled", fontname=FONT, fontsize="10")
    g.attr("edge", fontname=FONT, fontsize="9", dir="none")
    veth_ends: dict[str, str] = {}  # host end's name → node id
    bridges: dict[str, str] = {}
    with g.subgraph(name="cluster_host") as host:
        netns = f" (net:[{m.netns}])" if m.netns else ""
        host.attr(
            label=_t(f"Host {m.target}: its network namespace{netns}"),
            style="rounded,filled",
            fillcolor=HOST_COLOUR,
        )
        lines = [f"{i.name}  {' '.join(i.addresses)}" for i in m.interfaces if i.kind != "veth"]
        host.node(next(ids), _lines(["Interfaces", *lines]), fillcolor="white")
        for bridge in m.bridges:
            bridges[bridge.interface] = node = next(ids)
            about = [bridge.interface, f"bridge of network {bridge.network}"]
            about += [
                x for x in (bridge.subnet, bridge.gateway and f"gateway {bridge.gateway}") if x
            ]
            host.node(node, _lines(about), shape="hexagon", fillcolor=BRIDGE_COLOUR)
        for c in m.containers:
            for veth in c.veths:
                if veth.host_end:
                    veth_ends[veth.host_end] = node = next(ids)
                    host.node(node, _t(veth.host_end), shape="ellipse", fillcolor="white")
                    if veth.bridge in bridges:
                        host.edge(bridges[veth.bridge], node)
        for c in m.containers:
            if c.on_host_network:
                _container(host, c, m.sockets_in("host"), ids)
        own = [s for s in m.sockets_in("host") if s.container is None]
        if own:
            host.node(
                next(ids),
                _lines(["Listening on the host itself", *map(_sock, own)]),
                fillcolor="white",
            )
    for c in m.containers:
        if c.on_host_network:
            continue
        inside = _container(g, c, m.sockets_in(c.name), ids)
        for veth in c.veths:
            peer = veth_ends.get(veth.host_end or "") or bridges.get(veth.bridge or "")
            if peer is not None:
                g.edge(peer, inside, label="veth pair", penwidth="2.5")
    return g


def _container(
    parent: graphviz.Digraph, c: Container, sockets: Iterable[Socket], ids: Iterator[str]
) -> str:
    """A cluster for ``c``; returns its first node (where its veth pair ends)."""
    node = next(ids)
    with parent.subgraph(name=f"cluster_{node}") as box:
        box.attr(
            label=_t(f"{c.name}: {mode_text(c)}"),
            style="rounded,filled",
            fillcolor=CONTAINER_COLOUR,
        )
        about = [f"image {c.image}"]
        about += [f"{v.container_end}  {a}" for v in c.veths[:1] for a in c.addresses]
        about += [f"published {p}" for p in c.published]
        about += [f"-p {p} discarded (host network)" for p in c.ignored_ports]
        box.node(node, _lines(about), fillcolor="white")
        mine = [s for s in sockets if s.container == c.name]
        if mine:
            box.node(next(ids), _lines([_sock(s) for s in mine]), fillcolor="white")
    return node


def _sock(s: Socket) -> str:
    return f"{s.proto} {s.endpoint}: {s.owner_text}, {reach_text(s)}"


def _lines(lines: list[str]) -> str:
    """Left-aligned lines (Graphviz's ``\\l``)."""
    return "".join(_t(line) + "\\l" for line in lines)


def _t(text: str) -> str:
    """Text for a label: a backslash would start one of Graphviz's escapes."""
    return text.replace("\\", "\\\\")
