"""Read facts about a Linux host with the standard library only.

This module is self-contained on purpose: the local target calls
:func:`collect` in-process, and a remote target can ship this file's source to
``python3 -`` and read the JSON it prints. Nothing here imports the engine.

Facts:
  listeners PORT  sockets listening on PORT (TCP) or bound to it (UDP), each
                  with the processes that own it when they can be seen
  interfaces      network interfaces: name, index, kind (veth, bridge, …)
  http URL [T]    one GET from this host: status, start of the body, or the error
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from typing import Any

_TCP_LISTEN = "0A"
_UDP_UNCONNECTED = "07"


def collect(kind: str, *args: str) -> Any:
    if kind == "listeners":
        return listeners(int(args[0]))
    if kind == "interfaces":
        return interfaces()
    if kind == "http":
        return http_get(args[0], float(args[1]) if len(args) > 1 else 3.0)
    raise ValueError(f"unknown fact {kind!r}")


def listeners(port: int) -> list[dict[str, Any]]:
    """Sockets on ``port`` in this network namespace, with their owners.

    Owners come from ``/proc/*/fd``; without root, other users' processes are
    hidden, which ``owners_visible`` reports instead of guessing.
    """
    found: list[dict[str, Any]] = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/net/{proto}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue  # no IPv6 in this namespace, for instance
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            addr_hex, port_hex = local.rsplit(":", 1)
            if int(port_hex, 16) != port:
                continue
            if state != (_TCP_LISTEN if proto.startswith("tcp") else _UDP_UNCONNECTED):
                continue
            found.append(
                {"proto": proto, "address": _address(addr_hex), "port": port, "inode": inode}
            )
    owners, complete = _socket_owners({item["inode"] for item in found})
    for item in found:
        procs = owners.get(item["inode"], [])
        item["processes"] = [{"pid": pid, "name": name} for pid, name in sorted(procs)]
        item["owners_visible"] = complete or bool(procs)
    return found


def _address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw))
    # /proc prints IPv6 as four little-endian 32-bit words.
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    return str(ipaddress.IPv6Address(b"".join(words)))


def _socket_owners(inodes: set[str]) -> tuple[dict[str, list[tuple[int, str]]], bool]:
    """Map socket inodes to (pid, command name); False when some fds were unreadable."""
    owners: dict[str, list[tuple[int, str]]] = {}
    complete = True
    if not inodes:
        return owners, complete
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fd_dir = f"/proc/{entry}/fd"
        try:
            fds = os.listdir(fd_dir)
        except PermissionError:
            complete = False
            continue
        except OSError:
            continue  # the process exited meanwhile
        for fd in fds:
            try:
                link = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            inode = wanted.get(link)
            if inode is not None:
                owners.setdefault(inode, []).append((int(entry), _comm(entry)))
    return owners, complete


def _comm(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def interfaces() -> list[dict[str, Any]]:
    """Interfaces of this network namespace; ``kind`` needs iproute2 (else null)."""
    try:
        out = subprocess.run(
            ["ip", "-json", "-details", "link", "show"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return [
            {
                "name": link["ifname"],
                "index": link["ifindex"],
                "kind": link.get("linkinfo", {}).get("info_kind"),
            }
            for link in json.loads(out)
        ]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        pass
    result = []
    for name in sorted(os.listdir("/sys/class/net")):
        with open(f"/sys/class/net/{name}/ifindex") as f:
            result.append({"name": name, "index": int(f.read()), "kind": None})
    return result


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


if __name__ == "__main__":
    json.dump(collect(sys.argv[1], *sys.argv[2:]), sys.stdout)
