"""Read facts about a Linux host with the standard library only.

Self-contained on purpose: the local target calls :func:`collect` in-process; a
lab runs this file's source (``python3 -``, or the probe server, which also
ships :mod:`sockdiag`, the fast way to listening sockets). No engine imports.

Facts:
  listeners PORT  sockets listening on PORT (TCP) or bound to it (UDP), each
                  with the processes that own it when they can be seen
  interfaces      network interfaces: name, index, kind (veth, bridge, …)
  http URL [T]    one GET from this host: status, start of the body, or the error
  namespaces PID  the namespaces (their inodes) of process PID, or of ``self``
  resolv_conf     this host's /etc/resolv.conf, as text
  network PID...  this network namespace and those of PIDs: interfaces with
                  their addresses, listening sockets with their owners

Labs may run an older python3 than the engine's: keep this file to Python 3.8.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from typing import Any

try:  # in the engine; on a lab, what the probe server shipped (else /proc only)
    from . import sockdiag
except ImportError:
    sockdiag = sys.modules.get("sockdiag")  # type: ignore[assignment]

_TCP_LISTEN = "0A"
_UDP_UNCONNECTED = "07"


def collect(kind: str, *args: str) -> Any:
    if kind == "listeners":
        return listeners(int(args[0]))
    if kind == "interfaces":
        return interfaces()
    if kind == "http":
        return http_get(args[0], float(args[1]) if len(args) > 1 else 3.0)
    if kind == "namespaces":
        return namespaces(args[0] if args else "self")
    if kind == "resolv_conf":
        return resolv_conf()
    if kind == "network":
        return network(*args)
    raise ValueError(f"unknown fact {kind!r}")


def listeners(port: int) -> list[dict[str, Any]]:
    """Sockets on ``port`` in this network namespace, with their owners (from
    ``/proc/*/fd``: without root, ``owners_visible`` says others' are hidden)."""
    found = _sockets("/proc/net", port) or []
    _add_owners(found)
    return found


def _sockets(net: str, port: int | None) -> list[dict[str, Any]] | None:
    """Listening (TCP) and bound (UDP) sockets in ``net`` (``/proc/net``: netlink
    if it answers; ``/proc/PID/net``: PID's namespace), on ``port`` or all; None
    when no table could be read."""
    if net == "/proc/net" and sockdiag and (fast := sockdiag.listening(port)) is not None:
        return fast
    found: list[dict[str, Any]] = []
    read = False
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"{net}/{proto}") as f:
                lines = f.read().splitlines()[1:]
            read = True
        except OSError:
            continue  # no IPv6 in this namespace, for instance
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            addr_hex, port_hex = local.rsplit(":", 1)
            number = int(port_hex, 16)
            if port is not None and number != port:
                continue
            if state != (_TCP_LISTEN if proto.startswith("tcp") else _UDP_UNCONNECTED):
                continue
            found.append(
                {"proto": proto, "address": _address(addr_hex), "port": number, "inode": inode}
            )
    return found if read else None


def _add_owners(found: list[dict[str, Any]]) -> None:
    owners, complete = _socket_owners({item["inode"] for item in found})
    for item in found:
        procs = owners.get(item["inode"], [])
        item["processes"] = [{"pid": pid, "name": name} for pid, name in sorted(procs)]
        item["owners_visible"] = complete or bool(procs)


def network(*pids: str) -> dict[str, Any]:
    """This network namespace and those of processes ``pids`` (containers' main
    processes): each with its inode, its interfaces with their addresses, and its
    listening sockets with their owners; ``roots`` gives, for each owner, the
    first of ``pids`` it descends from (its container).

    Another process's namespace: its sockets come from ``/proc/PID/net``, its
    interfaces from ``ip`` run inside it with ``nsenter`` (root); without root
    ``problem`` says what could not be read.
    """
    own = namespaces()["inodes"]["net"]
    host = {"pid": None, "inode": own, "links": _links([]), "problem": None}
    spaces = [{**host, "listeners": _sockets("/proc/net", None) or []}]
    for pid in [int(p) for p in pids]:
        known = namespaces(str(pid))
        inode = known["inodes"].get("net")  # None: not root (or gone)
        if known["problem"] == f"no process {pid}" or inode in [s["inode"] for s in spaces]:
            continue  # gone meanwhile; host networking, or a namespace already read
        listeners = _sockets(f"/proc/{pid}/net", None)
        links = _links(["nsenter", f"--net=/proc/{pid}/ns/net"])
        unread = [w for w, got in (("interfaces", links), ("sockets", listeners)) if got is None]
        why = "run as root" if os.geteuid() != 0 else "needs nsenter and iproute2"
        space = {"pid": pid, "inode": inode, "links": links, "listeners": listeners or []}
        space["problem"] = f"cannot read its {' or '.join(unread)} ({why})" if unread else None
        spaces.append(space)
    found = [item for space in spaces for item in space["listeners"]]
    _add_owners(found)
    owners = {p["pid"] for item in found for p in item["processes"]}
    roots = {int(r) for r in pids}
    return {"namespaces": spaces, "roots": {str(p): _root(p, roots) for p in owners}}


def _root(pid: int, roots: set[int]) -> int | None:
    """The first of ``roots`` among ``pid`` and its ancestors, if any."""
    for _ in range(64):  # a bound: a process tree is never this deep
        if pid in roots:
            return pid
        if pid <= 1:
            return None
        pid = Process(pid).ppid
    return None


def _links(prefix: list[str]) -> list[dict[str, Any]] | None:
    """Interfaces with their addresses (``ip -json -details address show``, run
    after ``prefix``); None if that failed. Without iproute2, this namespace's
    interfaces (from sysfs), with no kind and no addresses."""
    try:
        out = subprocess.run(
            [*prefix, "ip", "-json", "-details", "address", "show"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return [_link(raw) for raw in json.loads(out)]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        if prefix:
            return None
    result = []
    for name in sorted(os.listdir("/sys/class/net")):
        with open(f"/sys/class/net/{name}/ifindex") as f:
            result.append({"name": name, "index": int(f.read()), "kind": None, "addresses": []})
    return result


def _link(raw: dict[str, Any]) -> dict[str, Any]:
    info = raw.get("linkinfo", {})
    return {
        "name": raw["ifname"],
        "index": raw["ifindex"],
        "kind": info.get("info_kind"),
        "state": raw.get("operstate"),
        "mac": raw.get("address"),
        "master": raw.get("master"),
        "peer_index": raw.get("link_index"),  # a veth's other end, in its namespace
        "addresses": [f"{a['local']}/{a['prefixlen']}" for a in raw.get("addr_info", [])],
    }


def _address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw))
    # /proc prints IPv6 as four little-endian 32-bit words.
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    return str(ipaddress.IPv6Address(b"".join(words)))


def _socket_owners(inodes: set[str]) -> tuple[dict[str, list[tuple[int, str]]], bool]:
    """Map socket inodes to (pid, command name); False when some fds were unreadable.

    This network namespace's processes are read first, the others only for a
    socket none of them holds: on a machine of many labs, most of /proc is the
    other labs' daemons."""
    owners: dict[str, list[tuple[int, str]]] = {}
    complete = True
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    table, here = processes(), namespace_id("/proc/self/ns/net")
    for ours in (True, False):
        if not inodes - owners.keys():
            break
        for proc in (p for p in table if (here is not None and p.netns == here) is ours):
            try:
                links = proc.open_files()
            except PermissionError:
                complete = False
                continue
            for inode in filter(None, map(wanted.get, links)):
                owners.setdefault(inode, []).append((proc.pid, proc.comm or "?"))
    return owners, complete


# ---------------------------------------------------------------- processes
#
# The one walk of /proc for processes: socket owners here, and (imported) the
# netns labs' teardown and the tests' and benchmarks' checks.


def processes() -> list[Process]:
    """Every process in /proc now, by pid. Listing reads nothing but the pids:
    each field is read when first asked for (see :class:`Process`)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    return sorted((Process(int(e)) for e in entries if e.isdigit()), key=lambda p: p.pid)


def namespace_id(path: str) -> tuple[int, int] | None:
    """(device, inode) of a namespace handle (``/proc/PID/ns/net``,
    ``/var/run/netns/NAME``): equal for the same namespace. None if unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class Process:
    """One process of /proc, read lazily: each field is read once, when first used.

    A process can exit at any moment; its fields then read as empty ("", 0,
    None) rather than failing, and ``alive`` is False.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._stat: tuple[str, str, int] | None = None
        self._argv: list[str] | None = None
        self._netns: tuple[tuple[int, int] | None] | None = None  # (value,) once read

    def __repr__(self) -> str:
        return f"Process({self.pid})"

    def _read_stat(self) -> tuple[str, str, int]:
        if self._stat is None:
            # "PID (COMM) STATE PPID ...": COMM may itself hold spaces and ")".
            try:
                with open(f"/proc/{self.pid}/stat") as f:
                    stat = f.read()
                head, _, tail = stat.rpartition(")")
                fields = tail.split()
                self._stat = (head.partition("(")[2], fields[0], int(fields[1]))
            except (OSError, ValueError, IndexError):
                self._stat = ("", "", 0)
        return self._stat

    @property
    def comm(self) -> str:
        """The command name (at most 15 characters), "" if gone."""
        return self._read_stat()[0]

    @property
    def state(self) -> str:
        """``R``, ``S``, ``Z`` (zombie) …; "" if gone."""
        return self._read_stat()[1]

    @property
    def ppid(self) -> int:
        """The parent's pid; 0 if gone (or for PID 1)."""
        return self._read_stat()[2]

    @property
    def alive(self) -> bool:
        """Running or sleeping: not gone, and not a zombie (or dead) waiting to be reaped."""
        return self.state not in ("", "Z", "X")

    @property
    def argv(self) -> list[str]:
        """Its arguments; [] for kernel threads, zombies and gone processes."""
        if self._argv is None:
            try:
                with open(f"/proc/{self.pid}/cmdline", "rb") as f:
                    raw = f.read()
            except OSError:
                raw = b""
            # NUL-terminated arguments; a process that rewrote its title may drop the last NUL.
            raw = raw[:-1] if raw.endswith(b"\0") else raw
            self._argv = [a.decode(errors="replace") for a in raw.split(b"\0")] if raw else []
        return self._argv

    @property
    def cmdline(self) -> str:
        """Its arguments joined by spaces ("" as for ``argv``)."""
        return " ".join(self.argv)

    @property
    def netns(self) -> tuple[int, int] | None:
        """Its network namespace (see :func:`namespace_id`); None if unreadable."""
        if self._netns is None:
            self._netns = (namespace_id(f"/proc/{self.pid}/ns/net"),)
        return self._netns[0]

    def open_files(self) -> list[str]:
        """Where its file descriptors point (``socket:[INODE]``, paths); [] if gone.

        Raises PermissionError for another user's process without root.
        """
        fd_dir = f"/proc/{self.pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except PermissionError:
            raise
        except OSError:
            return []  # exited meanwhile
        links = []
        for fd in fds:
            try:
                links.append(os.readlink(f"{fd_dir}/{fd}"))
            except OSError:
                continue  # closed meanwhile
        return links


def interfaces() -> list[dict[str, Any]]:
    """Interfaces of this network namespace; ``kind`` needs iproute2 (else null)."""
    return [{k: link[k] for k in ("name", "index", "kind")} for link in _links([]) or []]


def http_get(url: str, timeout: float = 3.0) -> dict[str, Any]:
    """GET ``url`` from this host (so a lab is probed from inside the lab)."""
    import urllib.error  # only here: a lesson without http checks never pays for it
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "docker-hostnet-check"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(65536)
            return {"status": response.status, "body": body.decode("utf-8", "replace")}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "body": exc.read(65536).decode("utf-8", "replace")}
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"status": None, "error": str(reason)}


NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")


def namespaces(pid: str = "self") -> dict[str, Any]:
    """The inode of each namespace of process ``pid`` (``self``: this process).

    ``readlink /proc/PID/ns/net`` gives ``net:[4026531840]``; two processes share
    a namespace when these are equal. Another user's process needs root (else
    ``problem`` says so); a kind this kernel lacks is null.
    """
    number = os.getpid() if pid == "self" else int(pid)
    inodes: dict[str, Any] = {}
    problem = None
    for kind in NAMESPACES:
        inodes[kind] = None
        try:
            link = os.readlink(f"/proc/{number}/ns/{kind}")
        except PermissionError:
            problem = f"cannot read the namespaces of process {number}: permission denied"
            if os.geteuid() != 0:
                problem += " (another user's process: run as root)"
            continue
        except OSError:
            if not os.path.exists(f"/proc/{number}"):
                problem = f"no process {number}"
                break
            continue  # this kernel has no such namespace
        inodes[kind] = int(link[link.index("[") + 1 : link.rindex("]")])
    return {"pid": number, "inodes": inodes, "problem": problem}


def resolv_conf(path: str = "/etc/resolv.conf") -> dict[str, Any]:
    """The resolver configuration of this host, as text ("" when it has none)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return {"path": path, "text": f.read(65536)}
    except OSError as exc:
        return {"path": path, "text": "", "error": exc.strerror or str(exc)}


if __name__ == "__main__":
    json.dump(collect(sys.argv[1], *sys.argv[2:]), sys.stdout)
