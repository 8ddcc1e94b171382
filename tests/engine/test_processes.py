"""The one /proc walker (hostprobe.processes) and what netns labs find with it,
against processes this test starts itself."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.labs import netns
from hostnet.engine.labs.netns.processes import mentions
from tests.support.env import unavailable


@pytest.fixture
def start() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a command in a session of its own; afterwards it and its children are killed."""
    procs: list[subprocess.Popen[bytes]] = []

    def run(*argv: str) -> subprocess.Popen[bytes]:
        procs.append(subprocess.Popen(argv, start_new_session=True))
        return procs[-1]

    yield run
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _exec_done(proc: subprocess.Popen[bytes], comm: str) -> hostprobe.Process:
    """The process once it runs ``comm`` (between fork and exec it is still Python)."""
    deadline = time.monotonic() + 10
    while (found := hostprobe.Process(proc.pid)).comm != comm and time.monotonic() < deadline:
        time.sleep(0.01)
    return found


def _by_pid(pid: int) -> hostprobe.Process:
    return next(p for p in hostprobe.processes() if p.pid == pid)


def test_this_process_as_the_walker_sees_it() -> None:
    me = _by_pid(os.getpid())
    assert me.ppid == os.getppid()
    assert me.alive and me.state in ("R", "S")
    raw = Path("/proc/self/cmdline").read_bytes()
    assert me.argv == [arg.decode() for arg in raw.split(b"\0")[:-1]]
    assert me.cmdline == " ".join(me.argv)
    assert me.comm == Path(f"/proc/{os.getpid()}/comm").read_text().strip()
    assert me.netns == hostprobe.namespace_id("/proc/self/ns/net") is not None


def test_a_child_from_start_to_zombie_to_gone(
    tmp_path: Path, start: Callable[..., subprocess.Popen[bytes]]
) -> None:
    argv = ["sh", "-c", "sleep 300; :", str(tmp_path / "a path with spaces")]
    child = start(*argv)
    proc = _exec_done(child, "sh")
    assert (proc.ppid, proc.argv) == (os.getpid(), argv)
    assert proc.cmdline == " ".join(argv)
    assert proc.pid in {p.pid for p in hostprobe.processes()}

    os.kill(child.pid, signal.SIGKILL)  # (its sleep: killed with its session afterwards)
    deadline = time.monotonic() + 10
    while hostprobe.Process(child.pid).state != "Z" and time.monotonic() < deadline:
        time.sleep(0.01)
    zombie = hostprobe.Process(child.pid)
    assert zombie.state == "Z" and not zombie.alive and zombie.argv == []

    child.wait()
    gone = hostprobe.Process(child.pid)
    assert (gone.alive, gone.comm, gone.ppid, gone.argv, gone.netns) == (False, "", 0, [], None)
    assert gone.open_files() == []
    assert child.pid not in {p.pid for p in hostprobe.processes()}


def test_open_files_show_sockets() -> None:
    with socket.socket() as sock:
        inode = os.fstat(sock.fileno()).st_ino
        assert f"socket:[{inode}]" in hostprobe.Process(os.getpid()).open_files()


def test_lab_processes_by_path_by_namespace_and_descendants(
    tmp_path: Path, start: Callable[..., subprocess.Popen[bytes]]
) -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        unavailable("a network namespace of its own needs root and unshare (util-linux)")
    root = tmp_path / "lab"
    # The shell names the path; its child `sleep` does not, but descends from it.
    shell = _exec_done(start("sh", "-c", "sleep 300 & wait", f"{root}/x"), "sh")
    isolated = _exec_done(start("unshare", "--net", "sleep", "301"), "sleep")
    other = _exec_done(start("sh", "-c", "sleep 302; :", f"{root}x"), "sh")  # not under root
    deadline = time.monotonic() + 10
    while True:
        table = hostprobe.processes()
        kids = [p.pid for p in table if p.ppid in (shell.pid, other.pid) and p.comm == "sleep"]
        if len(kids) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    sleeper = next(p.pid for p in table if p.ppid == shell.pid and p.comm == "sleep")
    namespace = isolated.netns
    assert namespace is not None and namespace != hostprobe.namespace_id("/proc/self/ns/net")

    assert netns.lab_processes([root], None) == {shell.pid, sleeper}
    assert netns.lab_processes([root], namespace, table) == {shell.pid, sleeper, isolated.pid}
    # Never this process or its callers, even when their command line names the path.
    mine = Path(hostprobe.Process(os.getpid()).argv[0])
    assert mentions(hostprobe.Process(os.getpid()).cmdline, [mine])
    assert os.getpid() not in netns.lab_processes([mine], None)
