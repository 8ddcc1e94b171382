"""Listening sockets over netlink: the same answers as the /proc tables."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

import pytest

from hostnet.engine import hostprobe, sockdiag


def from_proc(port: int) -> list[dict[str, object]]:
    """The /proc tables of this namespace, read the way hostprobe read them before
    (``/proc/PID/net`` is never asked over netlink)."""
    return hostprobe._sockets(f"/proc/{os.getpid()}/net", port) or []


def key(item: dict[str, object]) -> tuple[object, ...]:
    return (item["proto"], item["address"], item["port"], item["inode"])


@pytest.fixture
def bound() -> Iterator[list[tuple[socket.socket, int]]]:
    """A TCP listener and a bound UDP socket, IPv4 and IPv6, each on a port of its own;
    and a connected TCP pair, which is not listening."""
    made = []
    for family, kind, address in (
        (socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1"),
        (socket.AF_INET6, socket.SOCK_STREAM, "::1"),
        (socket.AF_INET, socket.SOCK_DGRAM, "0.0.0.0"),
        (socket.AF_INET6, socket.SOCK_DGRAM, "::"),
    ):
        sock = socket.socket(family, kind)
        sock.bind((address, 0))
        if kind == socket.SOCK_STREAM:
            sock.listen()
        made.append((sock, sock.getsockname()[1]))
    client = socket.create_connection(("127.0.0.1", made[0][1]))
    yield made
    client.close()
    for sock, _ in made:
        sock.close()


def test_the_same_sockets_as_the_proc_tables(bound: list[tuple[socket.socket, int]]) -> None:
    protos = ["tcp", "tcp6", "udp", "udp6"]
    for (sock, port), proto in zip(bound, protos, strict=True):
        fast = sockdiag.listening(port)
        assert fast is not None, "netlink sock_diag answered nothing"
        assert sorted(map(key, fast)) == sorted(map(key, from_proc(port)))
        assert [(s["proto"], s["inode"]) for s in fast] == [
            (proto, str(os.fstat(sock.fileno()).st_ino))
        ]
    # The accepted-to-be connection is not listening: only the listener is on its port.
    assert [s["proto"] for s in sockdiag.listening(bound[0][1]) or []] == ["tcp"]


def test_every_port_at_once_includes_ours(bound: list[tuple[socket.socket, int]]) -> None:
    every = sockdiag.listening(None)
    assert every is not None
    ports = {s["port"] for s in every}
    assert {port for _, port in bound} <= ports


def test_hostprobe_uses_it_and_says_the_same_without_it(
    bound: list[tuple[socket.socket, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = bound[0][1]
    fast = hostprobe.listeners(port)
    monkeypatch.setattr(sockdiag, "listening", lambda port: None)  # no netlink here
    assert sorted(map(key, hostprobe.listeners(port))) == sorted(map(key, fast))
    assert fast[0]["processes"] == [
        {"pid": os.getpid(), "name": hostprobe.Process(os.getpid()).comm}
    ]
