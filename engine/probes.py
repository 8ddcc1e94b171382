"""Typed answers about a host: what checks compare.

:mod:`hostprobe` reads the host with the standard library and answers in
JSON-able values (a lab runs it with ``python3 -`` and prints them). This
module is the one place those answers become dataclasses, for every target:
:class:`HostProbes` gives a target the typed probe methods of :class:`Probes`
once it says how to run hostprobe where it is (``_probe``).

Checks get typed values from here and from
:class:`~hostnet.engine.dockerapi.DockerApi`; they never parse command output.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from .errors import TargetError

NamespaceKind = Literal["cgroup", "ipc", "mnt", "net", "pid", "user", "uts"]
NAMESPACE_KINDS: tuple[NamespaceKind, ...] = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")


@dataclass(frozen=True)
class Process:
    pid: int
    name: str  # the command name (/proc/PID/comm), e.g. nginx


@dataclass(frozen=True)
class Listener:
    """A socket listening on (TCP) or bound to (UDP) a port, with the processes owning it."""

    proto: str  # tcp, tcp6, udp or udp6, as /proc/net names them
    address: str  # 0.0.0.0, ::, 127.0.0.1, …
    port: int
    inode: int
    processes: tuple[Process, ...]
    owners_visible: bool  # False: some processes were hidden (not root), the owner may be one

    @property
    def protocol(self) -> Literal["tcp", "udp"]:
        return "tcp" if self.proto.startswith("tcp") else "udp"

    @property
    def endpoint(self) -> str:
        return endpoint(self.address, self.port)


@dataclass(frozen=True)
class Interface:
    """A network interface of the host's (the target's) network namespace."""

    name: str
    index: int
    kind: str | None  # veth, bridge, … (None: a physical one, or iproute2 missing)


@dataclass(frozen=True)
class HttpReply:
    """One GET from the target: a status and the start of the body, or why nothing answered."""

    status: int | None  # None: no HTTP answer at all
    body: str = ""
    error: str | None = None  # refused, timed out, … when status is None


@dataclass(frozen=True)
class Namespaces:
    """The namespaces a process is in, each as its inode (``readlink /proc/PID/ns/net``
    gives ``net:[4026531840]``). Two processes share a namespace when the inodes are
    equal. None: that one could not be read (see ``problem``) or the kernel has none."""

    process: int  # the PID they were read from
    cgroup: int | None
    ipc: int | None
    mnt: int | None
    net: int | None
    pid: int | None
    user: int | None
    uts: int | None
    problem: str | None = None  # why some or all are None: no such process, needs root

    def get(self, kind: NamespaceKind) -> int | None:
        inode: int | None = getattr(self, kind)
        return inode

    def shared_with(self, other: Namespaces) -> frozenset[NamespaceKind]:
        """The kinds both processes are known to share."""
        return frozenset(
            k for k in NAMESPACE_KINDS if self.get(k) is not None and self.get(k) == other.get(k)
        )


@dataclass(frozen=True)
class ResolvConf:
    """What resolv.conf(5) tells the resolver: compared by lines, not bytes (newer
    engines rewrite a container's copy with a comment header)."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[str, ...]  # sorted: their order does not matter

    @classmethod
    def parse(cls, text: str) -> ResolvConf:
        nameservers: list[str] = []
        search: list[str] = []
        options: list[str] = []
        for line in text.splitlines():
            fields = line.split()
            if not fields or fields[0].startswith(("#", ";")):
                continue
            if fields[0] == "nameserver" and len(fields) > 1:
                nameservers.append(fields[1])
            elif fields[0] == "search":
                search = fields[1:]  # resolv.conf(5): the last search line wins
            elif fields[0] == "options":
                options += fields[1:]
        return cls(tuple(nameservers), tuple(search), tuple(sorted(options)))

    def __str__(self) -> str:
        return (
            f"nameserver {', '.join(self.nameservers) or '(none)'}; "
            f"search {' '.join(self.search) or '(none)'}; "
            f"options {' '.join(self.options) or '(none)'}"
        )


@dataclass(frozen=True)
class Link:
    """A network interface with its addresses (``ip -details address show``)."""

    name: str
    index: int
    kind: str | None  # veth, bridge, … (None: a physical one, or iproute2 missing)
    addresses: tuple[str, ...] = ()  # CIDR: 172.17.0.1/16, fe80::1/64
    master: str | None = None  # the bridge it is attached to (a veth's host end on docker0)
    peer_index: int | None = None  # a veth's other end: its index, in the peer's namespace
    state: str | None = None  # UP, DOWN, UNKNOWN (loopback)
    mac: str | None = None


@dataclass(frozen=True)
class NetNamespace:
    """One network namespace: the target's own (``pid`` None), or a process's."""

    pid: int | None
    inode: int | None  # net:[INODE]; None: unreadable (another user's process, not root)
    links: tuple[Link, ...] | None  # None: unreadable (see problem)
    listeners: tuple[Listener, ...]
    problem: str | None = None


@dataclass(frozen=True)
class NetworkView:
    """The target's network namespace and those of some processes (containers'
    main processes), read at once; ``roots`` maps each socket owner's pid to the
    first of those processes it descends from."""

    namespaces: tuple[NetNamespace, ...]
    roots: Mapping[int, int | None]

    @property
    def host(self) -> NetNamespace:
        return self.namespaces[0]


class Probes(Protocol):
    """What a target can tell about its host, typed."""

    def listeners(self, port: int) -> tuple[Listener, ...]:
        """Sockets on ``port`` in the target's network namespace, with their owners."""
        ...

    def interfaces(self) -> tuple[Interface, ...]:
        """The network interfaces of the target's network namespace."""
        ...

    def http_get(self, url: str, timeout: float = 3.0) -> HttpReply:
        """GET ``url`` from the target itself (a lab is probed from inside the lab)."""
        ...

    def namespaces(self, pid: int | None = None) -> Namespaces:
        """The namespaces of process ``pid`` on the target; None: of a process the target
        starts where its commands run (a netns lab's network namespace is not PID 1's)."""
        ...

    def resolv_conf(self) -> ResolvConf:
        """The target's own /etc/resolv.conf (empty when it has none)."""
        ...

    def network(self, pids: Sequence[int] = ()) -> NetworkView:
        """The target's network namespace, and those of processes ``pids`` that
        have another: interfaces, addresses, listening sockets and their owners."""
        ...


# -------------------------------------------------------------- JSON → dataclasses


def endpoint(address: str, port: int) -> str:
    """``0.0.0.0:80``, ``[::]:80``: an IPv6 address in brackets."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def listener_from_json(raw: Mapping[str, Any]) -> Listener:
    return Listener(
        proto=str(raw["proto"]),
        address=str(raw["address"]),
        port=int(raw["port"]),
        inode=int(raw["inode"]),
        processes=tuple(Process(int(p["pid"]), str(p["name"])) for p in raw["processes"]),
        owners_visible=bool(raw["owners_visible"]),
    )


def interface_from_json(raw: Mapping[str, Any]) -> Interface:
    kind = raw.get("kind")
    return Interface(str(raw["name"]), int(raw["index"]), None if kind is None else str(kind))


def interface_to_json(interface: Interface) -> dict[str, Any]:
    """The form hostprobe gives and lesson snapshots are stored in."""
    return {"name": interface.name, "index": interface.index, "kind": interface.kind}


def http_reply_from_json(raw: Mapping[str, Any]) -> HttpReply:
    status = raw.get("status")
    error = raw.get("error")
    return HttpReply(
        status=None if status is None else int(status),
        body=str(raw.get("body", "")),
        error=None if error is None else str(error),
    )


def namespaces_from_json(raw: Mapping[str, Any]) -> Namespaces:
    inodes: Mapping[str, Any] = raw["inodes"]

    def inode(kind: str) -> int | None:
        value = inodes.get(kind)
        return None if value is None else int(value)

    problem = raw.get("problem")
    return Namespaces(
        process=int(raw["pid"]),
        cgroup=inode("cgroup"),
        ipc=inode("ipc"),
        mnt=inode("mnt"),
        net=inode("net"),
        pid=inode("pid"),
        user=inode("user"),
        uts=inode("uts"),
        problem=None if problem is None else str(problem),
    )


def resolv_conf_from_json(raw: Mapping[str, Any]) -> ResolvConf:
    return ResolvConf.parse(str(raw["text"]))


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def link_from_json(raw: Mapping[str, Any]) -> Link:
    return Link(
        name=str(raw["name"]),
        index=int(raw["index"]),
        kind=_opt_str(raw.get("kind")),
        addresses=tuple(str(a) for a in raw.get("addresses", ())),
        master=_opt_str(raw.get("master")),
        peer_index=_opt_int(raw.get("peer_index")),
        state=_opt_str(raw.get("state")),
        mac=_opt_str(raw.get("mac")),
    )


def network_view_from_json(raw: Mapping[str, Any]) -> NetworkView:
    spaces = []
    for space in raw["namespaces"]:
        links = space.get("links")
        spaces.append(
            NetNamespace(
                pid=_opt_int(space.get("pid")),
                inode=_opt_int(space.get("inode")),
                links=None if links is None else tuple(link_from_json(x) for x in links),
                listeners=tuple(listener_from_json(x) for x in space["listeners"]),
                problem=_opt_str(space.get("problem")),
            )
        )
    roots = {int(pid): _opt_int(root) for pid, root in raw.get("roots", {}).items()}
    return NetworkView(tuple(spaces), roots)


T = TypeVar("T")


class HostProbes(ABC):
    """The typed probes for a target that can run :mod:`hostprobe` where it is."""

    @abstractmethod
    def _probe(self, kind: str, *args: str) -> Any:
        """hostprobe's answer to ``kind`` on this target (``hostprobe.collect``)."""

    def listeners(self, port: int) -> tuple[Listener, ...]:
        return self._many("listeners", listener_from_json, str(port))

    def interfaces(self) -> tuple[Interface, ...]:
        return self._many("interfaces", interface_from_json)

    def http_get(self, url: str, timeout: float = 3.0) -> HttpReply:
        return self._one("http", http_reply_from_json, url, str(timeout))

    def namespaces(self, pid: int | None = None) -> Namespaces:
        return self._one("namespaces", namespaces_from_json, "self" if pid is None else str(pid))

    def resolv_conf(self) -> ResolvConf:
        return self._one("resolv_conf", resolv_conf_from_json)

    def network(self, pids: Sequence[int] = ()) -> NetworkView:
        return self._one("network", network_view_from_json, *(str(p) for p in pids))

    def _one(self, kind: str, convert: Callable[[Mapping[str, Any]], T], *args: str) -> T:
        raw = self._probe(kind, *args)
        try:
            return convert(raw)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise _unreadable(kind, raw, exc) from exc

    def _many(
        self, kind: str, convert: Callable[[Mapping[str, Any]], T], *args: str
    ) -> tuple[T, ...]:
        raw = self._probe(kind, *args)
        if not isinstance(raw, Sequence):
            raise _unreadable(kind, raw, TypeError("not a list"))
        try:
            return tuple(convert(item) for item in raw)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise _unreadable(kind, raw, exc) from exc


def _unreadable(kind: str, raw: object, exc: Exception) -> TargetError:
    return TargetError(
        f"the {kind} probe answered something unexpected ({type(exc).__name__}: {exc}): "
        f"{str(raw)[:200]}"
    )
