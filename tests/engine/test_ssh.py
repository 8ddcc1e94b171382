"""The SSH target against real sshd in real network namespaces, with real lab engines."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hostnet.engine import events as ev
from hostnet.engine import hostprobe
from hostnet.engine.errors import TargetError
from hostnet.engine.loader import find_lesson
from hostnet.engine.session import LessonSession
from hostnet.engine.ssh import SSHTarget
from tests.support.env import unavailable
from tests.support.netns import open_lab

pytestmark = pytest.mark.docker


def test_lesson_1_runs_on_the_lab_and_leaves_the_host_untouched(
    netns_labs, standin_image: str, clean_host: None, docker_client
) -> None:  # type: ignore[no-untyped-def]
    lab = netns_labs()
    host_interfaces = {i["name"] for i in hostprobe.interfaces()}
    host_containers = {c.id for c in docker_client.containers.list(all=True)}
    seen: list[str] = []

    def watch(event: ev.Event) -> None:
        if isinstance(event, ev.StepFinished):
            # While nginx runs on the lab's host network, the host's port 80 stays free.
            assert hostprobe.listeners(80) == [], f"host port 80 in use after {event.step}"
            assert {i["name"] for i in hostprobe.interfaces()} == host_interfaces
            assert {c.id for c in docker_client.containers.list(all=True)} == host_containers
            seen.append(event.step)

    before = SSHTarget.handshakes
    target = open_lab(lab)
    try:
        lesson = find_lesson("1", values={"image": standin_image})
        assert LessonSession(lesson, target, emit=watch).run_all()
    finally:
        target.close()
    assert seen == ["run", "curl", "interfaces", "netstat", "stop"]
    assert SSHTarget.handshakes - before == 1  # one connection for the whole lesson


def test_two_labs_run_lesson_1_at_once(netns_labs, standin_image: str) -> None:  # type: ignore[no-untyped-def]
    labs = [netns_labs(), netns_labs()]
    results: dict[str, bool] = {}

    def run(lab) -> None:  # type: ignore[no-untyped-def]
        target = open_lab(lab)
        try:
            lesson = find_lesson("1", values={"image": standin_image})
            results[lab.name] = LessonSession(lesson, target).run_all()
        finally:
            target.close()

    threads = [threading.Thread(target=run, args=(lab,)) for lab in labs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == {labs[0].name: True, labs[1].name: True}


@pytest.mark.parametrize("way", ["command process", "session per command"])
def test_output_streams_and_hanging_commands_are_killed(netns_labs, way: str) -> None:  # type: ignore[no-untyped-def]
    """Both ways of running commands there: the lab's long-lived command process,
    and (where that cannot run) an sshd session per command under `timeout`."""
    target = open_lab(netns_labs())
    if way == "session per command":
        target._lab.disabled = "this test"
    try:
        chunks: list[tuple[float, str]] = []
        started = time.monotonic()
        res = target.run(
            "echo one; sleep 1; echo two >&2",
            timeout=10,
            on_output=lambda stream, text: chunks.append(
                (time.monotonic() - started, stream + ":" + text)
            ),
        )
        assert res.ok and [c for _, c in chunks] == ["stdout:one\n", "stderr:two\n"]
        assert chunks[0][0] < 0.8 <= chunks[1][0]
        started = time.monotonic()
        hung = target.run("sleep 301.5", timeout=1)
        assert hung.timed_out and time.monotonic() - started < 8
        time.sleep(0.5)
        assert not _live_processes(["sleep", "301.5"])  # killed on the lab (same PID space)
        assert target.run("exit 3", timeout=10).exit_code == 3
        assert target.paths()["commands"].startswith(
            "one python3 process" if way == "command process" else "one SSH session per command"
        )
    finally:
        target.close()


def test_a_step_that_stops_waiting_kills_its_command_on_the_lab(netns_labs) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C (or any error) while a lab command runs: the command is killed there,
    and the next command runs as usual."""
    target = open_lab(netns_labs())

    def interrupt(stream: str, text: str) -> None:
        raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            target.run("echo started; sleep 302.5", timeout=30, on_output=interrupt)
        deadline = time.monotonic() + 5
        while _live_processes(["sleep", "302.5"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _live_processes(["sleep", "302.5"])
        assert target.run("echo next", timeout=10).stdout == "next\n"
    finally:
        target.close()


def test_docker_checks_use_the_labs_engine(netns_labs, docker_client, standin_image: str) -> None:  # type: ignore[no-untyped-def]
    lab = netns_labs()
    target = open_lab(lab)
    try:
        assert target.run(
            f"docker run -d --name only_on_lab {standin_image} sleep 60", timeout=30
        ).ok
        assert target.docker().inspect_container("only_on_lab") is not None
        assert not docker_client.containers.list(all=True, filters={"name": "only_on_lab"})
        assert target.docker().inspect_container("no_such_container") is None
    finally:
        target.close()


def _config_variant(lab, tmp_path: Path, **changes: str) -> Path:  # type: ignore[no-untyped-def]
    text = lab.ssh_config.read_text()
    for key, value in changes.items():
        lines = [line for line in text.splitlines() if not line.strip().startswith(key)]
        text = "\n".join([*lines, f"    {key} {value}", ""])
    path = tmp_path / f"ssh_config_{'_'.join(changes)}"
    path.write_text(text)
    return path


def test_wrong_key_is_a_clear_error(netns_labs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lab = netns_labs()
    other_key = tmp_path / "other_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True
    )
    config = _config_variant(lab, tmp_path, IdentityFile=str(other_key))
    with pytest.raises(TargetError) as info:
        SSHTarget.open(lab.name, ssh_config=config)
    assert f"lab {lab.name} (root@{lab.address}:22)" in str(info.value)
    assert "Authentication failed" in str(info.value)


def test_unknown_host_key_is_refused_when_pinning(netns_labs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lab = netns_labs()
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    config = _config_variant(lab, tmp_path, UserKnownHostsFile=str(empty))
    with pytest.raises(TargetError) as info:
        SSHTarget.open(lab.name, ssh_config=config)
    assert "not found in known_hosts" in str(info.value) and "pin its key" in str(info.value)
    # Vagrant's style: StrictHostKeyChecking no is an explicit opt-out.
    relaxed = _config_variant(
        lab, tmp_path, UserKnownHostsFile="/dev/null", StrictHostKeyChecking="no"
    )
    SSHTarget.open(lab.name, ssh_config=relaxed).close()


def test_unreachable_lab(tmp_path: Path) -> None:
    config = tmp_path / "ssh_config"
    config.write_text("Host gone\n    HostName 127.0.0.1\n    Port 9\n    User root\n")
    with pytest.raises(TargetError) as info:
        SSHTarget.open("gone", ssh_config=config, connect_timeout=3)
    assert "lab gone (root@127.0.0.1:9) is unreachable" in str(info.value)


def test_sshd_killed_mid_step_is_an_error_and_nothing_hangs(
    netns_labs, standin_image: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    lab = netns_labs()
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    text = (Path(__file__).parents[2] / "lessons" / "01-host-network.yaml").read_text()
    (lessons / "01.yaml").write_text(
        text.replace("command: curl http://localhost:@{port}/", "command: sleep 60")
    )
    os.environ["HOSTNET_LESSONS_DIR"] = str(lessons)
    lesson = find_lesson("1", values={"image": standin_image})
    target = open_lab(lab)
    seen: list[ev.Event] = []
    sshd_pid = int((lab.directory / "sshd.pid").read_text())

    def kill_sshd_when_sleeping(event: ev.Event) -> None:
        seen.append(event)
        if isinstance(event, ev.StepStarted) and event.step == "curl":
            threading.Timer(0.5, _kill_sessions, args=(lab, sshd_pid)).start()

    started = time.monotonic()
    with pytest.raises(TargetError) as info:
        LessonSession(lesson, target, emit=kill_sshd_when_sleeping).run_all()
    target.close()
    assert f"lab {lab.name}: lost the SSH connection while running `sleep 60`" in str(info.value)
    assert time.monotonic() - started < 30
    cleanup = [e for e in seen if isinstance(e, ev.CleanupFinished)]
    assert cleanup and not cleanup[0].ok  # attempted, reported, and it did not hang


def _kill_sessions(lab, sshd_pid: int) -> None:  # type: ignore[no-untyped-def]
    """Kill the lab's sshd and its session processes, as if the lab's sshd died."""
    out = subprocess.run(["pgrep", "-P", str(sshd_pid)], capture_output=True, text=True).stdout
    for pid in [sshd_pid, *map(int, out.split())]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_openssh_client_agrees(netns_labs) -> None:  # type: ignore[no-untyped-def]
    """The generated config works with plain OpenSSH too (what a workshop host uses)."""
    if shutil.which("ssh") is None:
        unavailable("no ssh client (apt-get install openssh-client)")  # fails in CI
    lab = netns_labs()
    res = subprocess.run(
        ["ssh", "-F", str(lab.ssh_config), lab.name, "echo", "$DOCKER_HOST"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert res.returncode == 0 and res.stdout.strip() == lab.docker_host


def _live_processes(argv: list[str]) -> list[int]:
    """PIDs (not zombies) whose command line is exactly ``argv``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        if [part.decode() for part in cmdline] == argv:
            found.append(int(entry))
    return found


def test_a_port_that_takes_the_connection_but_never_speaks_ssh_is_not_ready() -> None:
    """What a booting VM looks like from here (its forwarded port takes the connection,
    nothing answers behind it): "not ready", in bounded time, never a hang."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)  # accepted by the kernel; nobody ever speaks
    port = server.getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(TargetError) as info:
            SSHTarget.open("booting", url=f"ssh://vagrant@127.0.0.1:{port}", connect_timeout=1)
        assert time.monotonic() - started < 10
    finally:
        server.close()
    assert f"lab booting (vagrant@127.0.0.1:{port}) is not ready" in str(info.value)
    assert "may still be booting" in str(info.value.hint)


def test_the_lab_clock_is_the_labs_own(netns_labs) -> None:  # type: ignore[no-untyped-def]
    """A netns lab shares this machine's clock: what it says is ours, give or take
    the round trip (a VM's clock is its own: tests/engine/test_vm_lab.py)."""
    lab = netns_labs()
    target = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
    try:
        before = time.time()
        first = target.now()
        second = target.now()
        after = time.time()
        assert before - 0.05 <= first <= second <= after + 0.05
    finally:
        target.close()
