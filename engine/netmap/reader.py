"""Read the network map from a live target, once: two questions to its Docker
engine (running containers, networks) and one probe of its host (the host's
namespace and the containers' own, through :meth:`Probes.network
<hostnet.engine.probes.Probes.network>`).

Nothing runs inside the learner's containers (no ``docker exec``: it would
leave an event that the ``exited`` check reads). A container's own namespace
is read from the host: its sockets in ``/proc/PID/net``, its interfaces with
``nsenter`` (root). What cannot be read without root is left out with a note.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ..probes import Link, Listener, NetNamespace, NetworkView
from ..targets import Target
from .model import (
    Attachment,
    Bridge,
    Container,
    Interface,
    NetworkMap,
    Owner,
    Reach,
    Socket,
    Veth,
)

Raw = Mapping[str, Any]


def read_map(target: Target) -> NetworkMap:
    """The network of ``target`` as it is now (raises EnvironmentProblem when its
    Docker engine is unreachable, TargetError when the target itself is)."""
    api = target.docker()
    raw_containers = api.running_containers()
    raw_networks = api.networks()
    pids = [_pid(c) for c in raw_containers if _pid(c)]
    view = target.network(pids)
    return build_map(target.name, raw_containers, raw_networks, view)


def build_map(
    target: str, raw_containers: Sequence[Raw], raw_networks: Sequence[Raw], view: NetworkView
) -> NetworkMap:
    """The map from what the engine and the host probe said (pure: tests feed it)."""
    host_links = view.host.links or ()
    bridges = _bridges(raw_networks, host_links)
    by_pid = {ns.pid: ns for ns in view.namespaces if ns.pid is not None}
    names = {str(c["Id"]): _name(c) for c in raw_containers}
    containers = tuple(
        sorted(
            (_container(c, bridges, by_pid, host_links, view.host, names) for c in raw_containers),
            key=lambda c: (not c.on_host_network, c.name),
        )
    )
    owners = {_pid(c): _name(c) for c in raw_containers}
    sockets = list(_sockets(view.host.listeners, "host", host_links, bridges, view, owners))
    for c in containers:
        space = by_pid.get(_pid_of(raw_containers, c.name))
        if c.namespace == "own" and space is not None:
            sockets += _sockets(space.listeners, c.name, host_links, bridges, view, owners, c)
    _forwarding(sockets, containers)
    notes = _notes(view, containers, sockets, raw_containers)
    return NetworkMap(
        target=target,
        netns=view.host.inode,
        interfaces=tuple(_interface(link) for link in sorted(host_links, key=lambda x: x.index)),
        bridges=bridges,
        containers=containers,
        sockets=tuple(sorted(sockets, key=_socket_order)),
        notes=notes,
    )


# -- containers and bridges ----------------------------------------------------------------


def _bridges(raw_networks: Sequence[Raw], host_links: Sequence[Link]) -> tuple[Bridge, ...]:
    found = []
    for net in raw_networks:
        if net.get("Driver") != "bridge":
            continue
        options = net.get("Options") or {}
        interface = options.get("com.docker.network.bridge.name") or f"br-{str(net['Id'])[:12]}"
        config = ((net.get("IPAM") or {}).get("Config") or [{}])[0] or {}
        ports = tuple(sorted(x.name for x in host_links if x.master == interface))
        found.append(
            Bridge(
                network=str(net.get("Name", "")),
                interface=str(interface),
                subnet=config.get("Subnet") or None,
                gateway=config.get("Gateway") or _gateway_of(interface, host_links),
                ports=ports,
            )
        )
    return tuple(sorted(found, key=lambda b: (b.network != "bridge", b.network)))


def _gateway_of(interface: str, host_links: Sequence[Link]) -> str | None:
    for link in host_links:
        if link.name == interface:
            v4 = [a for a in link.addresses if ":" not in a]
            return v4[0].split("/")[0] if v4 else None
    return None


def _container(
    raw: Raw,
    bridges: Sequence[Bridge],
    by_pid: Mapping[int, NetNamespace],
    host_links: Sequence[Link],
    host: NetNamespace,
    names: Mapping[str, str],
) -> Container:
    mode = str((raw.get("HostConfig") or {}).get("NetworkMode") or "default")
    settings = raw.get("NetworkSettings") or {}
    space = by_pid.get(_pid(raw))
    if mode == "host":
        namespace, netns = "host", host.inode
    elif mode.startswith("container:"):
        other = mode.partition(":")[2]
        namespace = next((n for i, n in names.items() if i.startswith(other)), other)
        netns = space.inode if space else None
    else:
        namespace, netns = "own", space.inode if space else None
    bridge_of = {b.network: b.interface for b in bridges}
    attachments = tuple(
        Attachment(
            network=str(name),
            address=f"{ep['IPAddress']}/{ep.get('IPPrefixLen') or 0}"
            if ep.get("IPAddress")
            else None,
            gateway=ep.get("Gateway") or None,
            bridge=bridge_of.get(str(name)),
        )
        for name, ep in sorted((settings.get("Networks") or {}).items())
    )
    inside = space.links if space is not None and namespace == "own" else None
    return Container(
        name=_name(raw),
        id=str(raw["Id"])[:12],
        image=str((raw.get("Config") or {}).get("Image") or raw.get("Image", "")),
        network_mode=mode,
        namespace=namespace,
        netns=netns,
        attachments=attachments,
        veths=_veths(inside, attachments, host_links) if namespace == "own" else (),
        interfaces=tuple(_interface(link) for link in inside or ()),
        published=_published(settings.get("Ports") or {}),
        ignored_ports=_ignored(raw) if mode == "host" else (),
    )


def _veths(
    inside: Sequence[Link] | None, attachments: Sequence[Attachment], host_links: Sequence[Link]
) -> tuple[Veth, ...]:
    """Each veth inside with its peer on the host (the host end whose index is
    the inside end's peer index). Unreadable inside: one per bridge attachment."""
    if inside is None:
        return tuple(Veth("eth?", None, a.bridge) for a in attachments if a.bridge)
    by_index = {link.index: link for link in host_links}
    found = []
    for link in inside:
        if link.kind != "veth":
            continue
        peer = by_index.get(link.peer_index) if link.peer_index is not None else None
        found.append(Veth(link.name, peer.name if peer else None, peer.master if peer else None))
    return tuple(found)


def _published(ports: Mapping[str, Any]) -> tuple[str, ...]:
    found = []
    for inside, bindings in sorted(ports.items()):
        for b in bindings or ():
            host_ip = b.get("HostIp") or "0.0.0.0"
            shown = f"[{host_ip}]" if ":" in host_ip else host_ip
            found.append(f"{shown}:{b.get('HostPort')}->{inside}")
    return tuple(found)


def _ignored(raw: Raw) -> tuple[str, ...]:
    bindings = (raw.get("HostConfig") or {}).get("PortBindings") or {}
    return tuple(sorted(str(port) for port in bindings))


# -- sockets -------------------------------------------------------------------------------


def _sockets(
    listeners: Sequence[Listener],
    namespace: str,
    host_links: Sequence[Link],
    bridges: Sequence[Bridge],
    view: NetworkView,
    owners: Mapping[int, str],
    container: Container | None = None,
) -> list[Socket]:
    found = []
    for sock in listeners:
        roots = [view.roots.get(p.pid) for p in sock.processes]
        owning = next((owners[r] for r in roots if r is not None and r in owners), None)
        if container is not None:
            owning = owning or container.name
        reach, via = _reach(sock.address, host_links, bridges, container)
        found.append(
            Socket(
                proto=sock.proto,
                address=sock.address,
                port=sock.port,
                namespace=namespace,
                owners=tuple(Owner(p.pid, p.name) for p in sock.processes),
                owners_visible=sock.owners_visible,
                container=owning,
                reach=reach,
                via=via,
            )
        )
    return found


def _reach(
    address: str,
    host_links: Sequence[Link],
    bridges: Sequence[Bridge],
    container: Container | None,
) -> tuple[Reach, tuple[str, ...]]:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown", ()
    if ip.is_loopback:
        return "loopback", ()
    if container is not None:  # a container's own namespace: its address on its bridge
        mine = tuple(a.split("/")[0] for a in container.addresses)
        return "bridge", mine if ip.is_unspecified else (address,)
    if not ip.is_unspecified:
        gateways = {b.gateway for b in bridges}
        return ("bridge" if address in gateways else "host"), (address,)
    v4_only = ip.version == 4
    via = tuple(
        a.split("/")[0]
        for link in host_links
        for a in link.addresses
        if not ipaddress.ip_interface(a).ip.is_loopback
        and not ipaddress.ip_interface(a).ip.is_link_local
        and (":" not in a or not v4_only)
    )
    return "host", via


def _forwarding(sockets: list[Socket], containers: Sequence[Container]) -> None:
    """A host socket on a published port forwards to the container (docker-proxy)."""
    published = {}
    for c in containers:
        for rule in c.published:
            outside, _, inside = rule.rpartition("->")
            port, _, proto = inside.partition("/")
            published[(int(outside.rpartition(":")[2]), proto)] = f"{c.name}:{port}"
    for i, sock in enumerate(sockets):
        target = published.get((sock.port, sock.proto.rstrip("6")))
        if sock.namespace == "host" and target is not None:
            sockets[i] = _replace(sock, forwards_to=target)


def _replace(sock: Socket, **changes: Any) -> Socket:
    from dataclasses import replace

    return replace(sock, **changes)


def _socket_order(s: Socket) -> tuple[Any, ...]:
    return (s.namespace != "host", s.namespace, s.port, s.proto, s.address)


# -- notes and helpers ---------------------------------------------------------------------


def _notes(
    view: NetworkView,
    containers: Sequence[Container],
    sockets: Sequence[Socket],
    raw_containers: Sequence[Raw],
) -> tuple[str, ...]:
    notes = []
    name_of = {_pid(c): _name(c) for c in raw_containers}
    own = {c.name for c in containers if c.namespace == "own"}
    for ns in view.namespaces:
        if ns.problem and ns.pid is not None and name_of.get(ns.pid) in own:
            notes.append(f"{name_of[ns.pid]}: {ns.problem}")
    if any(not s.owners_visible for s in sockets):
        notes.append("some sockets' owners are hidden from non-root users: run as root to see them")
    return tuple(notes)


def _interface(link: Link) -> Interface:
    return Interface(link.name, link.kind, link.addresses, link.master, link.index)


def _name(raw: Raw) -> str:
    return str(raw.get("Name", "")).lstrip("/") or str(raw["Id"])[:12]


def _pid(raw: Raw) -> int:
    return int((raw.get("State") or {}).get("Pid") or 0)


def _pid_of(raw_containers: Sequence[Raw], name: str) -> int:
    return next((_pid(c) for c in raw_containers if _name(c) == name), 0)
