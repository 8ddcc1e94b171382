"""The network map: what a target's network looks like now, as plain frozen data.

Read once from the live target (:mod:`.reader`), then drawn for the terminal,
for Slack (a PNG) and described in words; ``to_dict`` is ``map --json``.

* The host's network namespace: its interfaces and their addresses.
* Each bridge (``docker0`` for the network ``bridge``, ``br-…`` for a
  user-defined one): its subnet, its gateway (its own address on the host), the
  host ends of the veth pairs attached to it.
* Each running container: its network mode, the namespace it is in (the host's
  for ``--network host``), its addresses, and for a bridge container its veth
  pair: ``eth0`` inside, its peer on the host, attached to the bridge.
* Each listening socket: where (the host's namespace or a container's), who owns
  it (process and container), and from where it can be reached.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ..probes import endpoint

Reach = Literal["loopback", "host", "bridge", "unknown"]
"""Where a listening socket answers from:

* ``loopback``: only from inside its own namespace (127.0.0.1, ::1): on the
  host, that includes every host-network container;
* ``host``: on the host's addresses: other machines, and containers through
  their bridge's gateway;
* ``bridge``: on a container's own address: the host and the containers on its
  bridge (other machines only through a published port).
"""


@dataclass(frozen=True)
class Interface:
    name: str
    kind: str | None  # veth, bridge, None (a physical one, or not known)
    addresses: tuple[str, ...] = ()  # CIDR
    master: str | None = None  # the bridge this one is attached to
    index: int = 0


@dataclass(frozen=True)
class Bridge:
    """A Docker bridge network and its Linux bridge on the host."""

    network: str  # bridge, mynet, …
    interface: str  # docker0, br-0123456789ab
    subnet: str | None
    gateway: str | None
    ports: tuple[str, ...] = ()  # host ends of the veth pairs attached to it


@dataclass(frozen=True)
class Veth:
    """A veth pair: one end in the container, the other on the host, on a bridge."""

    container_end: str  # eth0
    host_end: str | None  # veth1a2b3c4; None: not readable (needs root)
    bridge: str | None  # docker0


@dataclass(frozen=True)
class Attachment:
    """A container's endpoint on one Docker network."""

    network: str
    address: str | None  # CIDR, None on host/none
    gateway: str | None
    bridge: str | None  # the Linux bridge of that network, if it is a bridge network


@dataclass(frozen=True)
class Owner:
    pid: int
    name: str


@dataclass(frozen=True)
class Socket:
    proto: str  # tcp, tcp6, udp, udp6
    address: str
    port: int
    namespace: str  # "host", or the container whose own namespace it is in
    owners: tuple[Owner, ...]
    owners_visible: bool
    container: str | None  # the container whose process owns it (host-network ones too)
    reach: Reach
    via: tuple[str, ...] = ()  # the addresses it answers on (besides loopback)
    forwards_to: str | None = None  # docker-proxy: the container port it forwards to

    @property
    def endpoint(self) -> str:
        return endpoint(self.address, self.port)

    @property
    def owner_names(self) -> tuple[str, ...]:
        """The owning processes' names, each once."""
        return tuple(dict.fromkeys(o.name for o in self.owners))

    @property
    def owner_text(self) -> str:
        if self.owners:  # nginx's master and workers: "nginx (pid 12, 13, 14)"
            pids: dict[str, list[str]] = {}
            for o in self.owners:
                pids.setdefault(o.name, []).append(str(o.pid))
            return ", ".join(f"{name} (pid {', '.join(p)})" for name, p in pids.items())
        return "owner hidden (needs root)" if not self.owners_visible else "no process in view"


@dataclass(frozen=True)
class Container:
    name: str
    id: str  # 12 characters
    image: str
    network_mode: str  # host, bridge, none, container:NAME, mynet
    namespace: str  # "host", "own", or the container whose namespace it shares
    netns: int | None  # net:[INODE], when readable
    attachments: tuple[Attachment, ...] = ()
    veths: tuple[Veth, ...] = ()
    interfaces: tuple[Interface, ...] = ()  # inside its own namespace (when readable)
    published: tuple[str, ...] = ()  # 0.0.0.0:8080->80/tcp
    ignored_ports: tuple[str, ...] = ()  # -p on a host-network container: discarded

    @property
    def on_host_network(self) -> bool:
        return self.namespace == "host"

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(a.address for a in self.attachments if a.address)


@dataclass(frozen=True)
class NetworkMap:
    target: str  # local, lab-01, …
    netns: int | None  # the host's net:[INODE]
    interfaces: tuple[Interface, ...]
    bridges: tuple[Bridge, ...]
    containers: tuple[Container, ...]
    sockets: tuple[Socket, ...]
    notes: tuple[str, ...] = field(default=())  # what could not be read, and why

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def container(self, name: str) -> Container | None:
        return next((c for c in self.containers if c.name == name), None)

    def sockets_in(self, namespace: str) -> tuple[Socket, ...]:
        """The sockets of the host's namespace (``host``) or of a container's own."""
        return tuple(s for s in self.sockets if s.namespace == namespace)

    def bridge(self, interface: str | None) -> Bridge | None:
        return next((b for b in self.bridges if b.interface == interface), None)
