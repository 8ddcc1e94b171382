"""The typed probes of the local target, against sockets, servers and processes made here.

The same probes over SSH on a netns lab: tests/engine/test_ssh.py.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.errors import TargetError
from hostnet.engine.probes import (
    NAMESPACE_KINDS,
    HostProbes,
    HttpReply,
    Interface,
    Listener,
    Namespaces,
    Process,
    ResolvConf,
)
from hostnet.engine.targets import LocalTarget
from tests.support.env import unavailable

HOSTPROBE = Path(hostprobe.__file__)


def _inode(pid: int | str, kind: str) -> int:
    link = os.readlink(f"/proc/{pid}/ns/{kind}")
    return int(link[link.index("[") + 1 : -1])


def _comm(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def _need_root() -> None:
    if os.geteuid() != 0:
        unavailable("needs root")


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 in this process, serving tmp_path."""
    (tmp_path / "hello.txt").write_text("hello from the probe test\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


# -- listeners ------------------------------------------------------------------------


def test_a_listener_is_typed_with_its_owner() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        found = LocalTarget().listeners(port)
        inode = os.fstat(server.fileno()).st_ino  # a socket's inode, as /proc/net/tcp shows it
    assert len(found) == 1
    sock = found[0]
    assert isinstance(sock, Listener)
    assert (sock.proto, sock.protocol, sock.address, sock.port) == ("tcp", "tcp", "127.0.0.1", port)
    assert sock.endpoint == f"127.0.0.1:{port}"
    assert Process(os.getpid(), _comm(os.getpid())) in sock.processes
    assert sock.owners_visible  # our own process: always visible
    assert sock.inode == inode


def test_ipv6_and_udp_listeners() -> None:
    with (
        socket.socket(socket.AF_INET6) as tcp6,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
    ):
        tcp6.bind(("::1", 0))
        tcp6.listen()
        port = tcp6.getsockname()[1]
        udp.bind(("127.0.0.1", port))
        found = {s.proto: s for s in LocalTarget().listeners(port)}
    assert set(found) == {"tcp6", "udp"}
    assert found["tcp6"].endpoint == f"[::1]:{port}" and found["tcp6"].protocol == "tcp"
    assert found["udp"].protocol == "udp"


def test_no_listener_is_an_empty_tuple() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening
    assert LocalTarget().listeners(port) == ()


# -- interfaces -----------------------------------------------------------------------


def test_interfaces_are_typed_and_match_sysfs() -> None:
    found = LocalTarget().interfaces()
    assert all(isinstance(i, Interface) for i in found)
    assert {i.name for i in found} == set(os.listdir("/sys/class/net"))
    lo = next(i for i in found if i.name == "lo")
    assert lo.index == int(Path("/sys/class/net/lo/ifindex").read_text())


# -- http -----------------------------------------------------------------------------


def test_http_get_answers(web: int) -> None:
    target = LocalTarget()
    reply = target.http_get(f"http://127.0.0.1:{web}/hello.txt", 5)
    assert reply == HttpReply(200, "hello from the probe test\n", None)
    missing = target.http_get(f"http://127.0.0.1:{web}/nothing-here", 5)
    assert missing.status == 404 and missing.error is None


def test_http_get_refused_is_data() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reply = LocalTarget().http_get(f"http://127.0.0.1:{port}/", 2)
    assert reply.status is None and reply.error is not None and "refused" in reply.error.lower()


# -- namespaces -----------------------------------------------------------------------


def test_namespaces_of_the_targets_own_process() -> None:
    ns = LocalTarget().namespaces()
    assert isinstance(ns, Namespaces) and ns.problem is None
    assert ns.process == os.getpid()  # the local target probes in-process
    for kind in NAMESPACE_KINDS:
        assert ns.get(kind) == _inode("self", kind), kind


def test_a_process_in_its_own_network_namespace_shares_all_but_that() -> None:
    _need_root()
    if shutil.which("unshare") is None:
        unavailable("unshare is not installed (util-linux)")
    other = subprocess.Popen(["unshare", "--net", "sleep", "30"])
    try:
        target = LocalTarget()
        deadline = time.monotonic() + 5
        while (theirs := target.namespaces(other.pid)).net == _inode("self", "net"):
            assert time.monotonic() < deadline, "unshare did not enter a new namespace"
            time.sleep(0.02)  # still the process before its exec of unshare(1)
        mine = target.namespaces()
        assert theirs.process == other.pid and theirs.problem is None
        assert theirs.net == _inode(other.pid, "net") != mine.net
        assert mine.shared_with(theirs) == frozenset(NAMESPACE_KINDS) - {"net"}
    finally:
        other.kill()
        other.wait()


def test_namespaces_of_no_process() -> None:
    with open("/proc/sys/kernel/pid_max") as f:
        beyond = int(f.read()) + 1  # no PID is ever this high
    ns = LocalTarget().namespaces(beyond)
    assert ns.problem == f"no process {beyond}"
    assert all(ns.get(kind) is None for kind in NAMESPACE_KINDS)


def test_namespaces_of_another_users_process_need_root() -> None:
    """Run as nobody, the probe says why it cannot read PID 1's namespaces."""
    _need_root()
    if shutil.which("setpriv") is None:
        unavailable("setpriv is not installed (util-linux)")
    res = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
         sys.executable, "-", "namespaces", "1"],
        input=HOSTPROBE.read_text(), capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    raw = json.loads(res.stdout)
    assert raw["pid"] == 1 and set(raw["inodes"]) == set(NAMESPACE_KINDS)
    assert "permission denied" in raw["problem"] and "run as root" in raw["problem"]


# -- resolv.conf ----------------------------------------------------------------------


def test_resolv_conf_is_the_hosts_own() -> None:
    path = Path("/etc/resolv.conf")
    expected = ResolvConf.parse(path.read_text()) if path.exists() else ResolvConf((), (), ())
    assert LocalTarget().resolv_conf() == expected


def test_resolv_conf_parsing() -> None:
    text = (
        "# Generated by Docker Engine.\n"
        "nameserver 10.0.0.2\n; a comment\nnameserver 10.0.0.3\n"
        "search old.example\nsearch lab.example example.org\n"
        "options ndots:2 timeout:1\noptions edns0\n"
    )
    conf = ResolvConf.parse(text)
    assert conf == ResolvConf(
        ("10.0.0.2", "10.0.0.3"), ("lab.example", "example.org"), ("edns0", "ndots:2", "timeout:1")
    )
    assert str(conf) == (
        "nameserver 10.0.0.2, 10.0.0.3; search lab.example example.org; "
        "options edns0 ndots:2 timeout:1"
    )
    assert str(ResolvConf.parse("")) == "nameserver (none); search (none); options (none)"


# -- one conversion for every target --------------------------------------------------


class _Canned(HostProbes):
    """Probes whose raw answers are given: the conversion alone, as a lab's would be."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def _probe(self, kind: str, *args: str) -> Any:
        return self.answers[kind]


def _script(kind: str, *args: str) -> Any:
    """hostprobe run as a script, its JSON read back (what the SSH target does on a lab)."""
    res = subprocess.run(
        [sys.executable, str(HOSTPROBE), kind, *args],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return json.loads(res.stdout)


def test_the_script_json_converts_to_what_the_local_target_returns() -> None:
    """A lab runs hostprobe as a script and sends JSON: the same values come out."""
    local = LocalTarget()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        remote = _Canned(
            {
                "listeners": _script("listeners", str(port)),
                "interfaces": _script("interfaces"),
                "resolv_conf": _script("resolv_conf"),
                "namespaces": _script("namespaces", "1"),
            }
        )
        assert [(s.endpoint, s.inode) for s in remote.listeners(port)] == [
            (s.endpoint, s.inode) for s in local.listeners(port)
        ]
        assert Process(os.getpid(), _comm(os.getpid())) in remote.listeners(port)[0].processes
    assert remote.interfaces() == local.interfaces()
    assert remote.resolv_conf() == local.resolv_conf()
    assert remote.namespaces(1) == local.namespaces(1)


def test_an_unexpected_answer_is_a_target_error_not_a_crash() -> None:
    odd = _Canned({"listeners": [{"proto": "tcp"}], "interfaces": {"lo": 1}, "http": "?"})
    with pytest.raises(TargetError, match="the listeners probe answered something unexpected"):
        odd.listeners(80)
    with pytest.raises(TargetError, match="the interfaces probe"):
        odd.interfaces()
    with pytest.raises(TargetError, match="the http probe"):
        odd.http_get("http://localhost/")
