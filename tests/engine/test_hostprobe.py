"""Host facts read from /proc and iproute2, against sockets this test opens itself."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from hostnet.engine import hostprobe
from tests.support.env import unavailable


def test_listeners_names_this_process_as_owner() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = hostprobe.listeners(port)
    assert [(s["proto"], s["address"], s["port"]) for s in found] == [("tcp", "127.0.0.1", port)]
    assert {"pid": os.getpid(), "name": hostprobe.Process(os.getpid()).comm} in found[0][
        "processes"
    ]


@pytest.mark.docker  # root: a process in a network namespace of its own
def test_an_owner_in_another_network_namespace_is_found() -> None:
    """Owners are looked for among this namespace's processes first; a socket held
    only by a process in another namespace is found all the same."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        unavailable("needs root and unshare (util-linux)")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        child = subprocess.Popen(["unshare", "--net", "sleep", "60"], pass_fds=[server.fileno()])
    try:  # our copy is closed: the child alone holds the socket, from its own namespace
        deadline = time.monotonic() + 10
        while hostprobe.Process(child.pid).comm != "sleep" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hostprobe.Process(child.pid).netns != hostprobe.namespace_id("/proc/self/ns/net")
        found = hostprobe.listeners(port)
        assert [p["pid"] for p in found[0]["processes"]] == [child.pid]
    finally:
        child.kill()
        child.wait()


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
