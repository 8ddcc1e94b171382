"""Host facts read from /proc and iproute2, against sockets this test opens itself."""

from __future__ import annotations

import os
import socket

from hostnet.engine import hostprobe


def test_listeners_names_this_process_as_owner() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = hostprobe.listeners(port)
    assert [(s["proto"], s["address"], s["port"]) for s in found] == [("tcp", "127.0.0.1", port)]
    assert {"pid": os.getpid(), "name": hostprobe._comm(str(os.getpid()))} in found[0]["processes"]


def test_ipv6_listener_address_is_decoded() -> None:
    with socket.socket(socket.AF_INET6) as server:
        server.bind(("::1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = hostprobe.listeners(port)
    assert [(s["proto"], s["address"]) for s in found] == [("tcp6", "::1")]


def test_a_connected_socket_is_not_a_listener() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            assert len(hostprobe.listeners(port)) == 1


def test_nothing_listening() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening
    assert hostprobe.listeners(port) == []


def test_interfaces_include_loopback() -> None:
    names = {i["name"] for i in hostprobe.interfaces()}
    assert "lo" in names


def test_http_get_reports_refusal_as_data() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reply = hostprobe.http_get(f"http://127.0.0.1:{port}/", 2)
    assert reply["status"] is None and "refused" in reply["error"].lower()
