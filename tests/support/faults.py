"""Faults: the lesson that fails on purpose, running hostnet in the background, a
netns lab engine to crash and restart, and what must not be left behind."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from hostnet.engine import hostprobe
from hostnet.engine.dockerapi import SocketDocker
from hostnet.engine.errors import EnvironmentProblem
from tests.support.env import STANDIN_IMAGE

CONTAINER_PREFIX = "hn_fault_"  # every container these tests make (on any engine)


LAB_PREFIX = "ft"


FAULT_LESSON = """\
format_version: 1
id: engine-fault
number: 1
title: A container, a long step, and a removal
summary: Start a container, wait in it, remove it; the shape of lesson 1 without port 80.
variables:
  image: {default: IMAGE}
  container: {default: hn_fault_x}
  seconds: {default: "30"}
prerequisites:
  - kind: container
    name: "@{container}"
    state: absent
    hint: A container named @{container} exists; remove it with `docker rm -f @{container}`.
  - kind: image
    name: "@{image}"
concepts:
  - {title: Faults, text: The engine may stop at any moment.}
steps:
  - id: start
    title: Start a container
    explanation: Start it detached, removed when it stops (as lesson 1 does).
    command: docker run --rm -d --name @{container} @{image}
    timeout: 60
    checks:
      - kind: container
        name: "@{container}"
        state: running
  - id: wait
    title: Wait inside it
    explanation: A long command in the container.
    command: docker exec @{container} sleep @{seconds}
    timeout: 120
    checks:
      - kind: container
        name: "@{container}"
        state: running
  - id: stop
    title: Remove it
    explanation: Remove the container.
    command: docker rm -f @{container}
    checks:
      - kind: container
        name: "@{container}"
        state: absent
cleanup:
  - docker rm -f @{container} >/dev/null 2>&1 || true
""".replace("IMAGE", STANDIN_IMAGE)


def container_name() -> str:
    return CONTAINER_PREFIX + secrets.token_hex(3)


def lesson1_variant(tmp_path: Path, old: str, new: str) -> Path:
    """A lessons folder with lesson 1, one line replaced (``old`` must be in it)."""
    from tests.support.env import REPO

    folder = tmp_path / "lesson1-variant"
    folder.mkdir()
    text = (REPO / "lessons" / "01-host-network.yaml").read_text()
    assert old in text
    (folder / "01-host-network.yaml").write_text(text.replace(old, new))
    return folder


TIMINGS: list[tuple[str, str, float]] = []


class Running:
    """``hostnet …`` in the background, its output read line by line."""

    def __init__(self, hostnet_bin: Path, *args: str, **env: str) -> None:
        self.proc = subprocess.Popen(
            [str(hostnet_bin), *args],
            env={**os.environ, "NO_COLOR": "1", **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: list[str] = []

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Read stdout until a line contains ``text`` (the process keeps running)."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            self.seen.append(line)
            if text in line:
                return
            assert time.monotonic() < deadline, f"no {text!r} in time: {''.join(self.seen)}"
        raise AssertionError(f"exited before {text!r}: {''.join(self.seen)}")

    def finish(self, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        out, err = self.proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(
            self.proc.args, self.proc.returncode, "".join(self.seen) + out, err
        )

    def kill(self) -> None:
        """Ctrl-C (its cleanup runs), then SIGKILL if that does not end it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate(timeout=30)


def lab_leftovers(lab: object) -> list[str]:
    """Everything of a netns lab still on the machine (empty once it is down)."""
    from tests.support.netns import leftovers

    return leftovers(lab)  # type: ignore[arg-type]


@dataclass
class LabEngine:
    """A netns lab's dockerd, to stop and start again as a crash or a reboot would."""

    lab: object
    restarted: list[subprocess.Popen[bytes]] = field(default_factory=list)
    argv: list[str] = field(default_factory=list)
    _stopped: int = 0

    @property
    def pidfile(self) -> Path:
        return self.lab.directory / "dockerd.pid"  # type: ignore[attr-defined]

    @property
    def socket(self) -> str:
        return str(self.lab.docker_host).removeprefix("unix://")  # type: ignore[attr-defined]

    def pid(self) -> int:
        return int(self.pidfile.read_text().strip())

    def stop(self, sig: signal.Signals = signal.SIGKILL, *, wait: bool = True) -> float:
        """Signal dockerd; with ``wait``, until it is gone. Returns when it was signalled."""
        pid = self.pid()
        self.argv = hostprobe.Process(pid).argv
        assert self.argv and self.argv[0].endswith("dockerd"), self.argv
        self._stopped = pid
        signalled = time.monotonic()
        os.kill(pid, sig)
        if wait:
            self.wait_stopped()
        return signalled

    def wait_stopped(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while hostprobe.Process(self._stopped).alive:  # (a zombie is not: it has stopped)
            assert time.monotonic() < deadline, f"dockerd {self._stopped} did not stop"
            time.sleep(0.05)

    def start(self) -> None:
        """dockerd again, with the same flags, data and containers (a restart, not a new lab)."""
        assert self.argv, "stop() it first"
        self.wait_stopped()
        # A crash leaves the pid files of dockerd and of its containerd behind, and
        # this machine's PID 1 may leave their zombies unreaped: dockerd would take
        # such a pid for a live containerd and wait for it. Gone means gone here.
        containerd = Path(self.argv[self.argv.index("--exec-root") + 1], "containerd")
        for pidfile in (self.pidfile, containerd / "containerd.pid"):
            with contextlib.suppress(OSError, ValueError):
                pid = int(pidfile.read_text().strip())
                deadline = time.monotonic() + 30
                while hostprobe.Process(pid).alive:
                    assert time.monotonic() < deadline, f"{pidfile}: {pid} did not stop"
                    time.sleep(0.05)
            pidfile.unlink(missing_ok=True)
        log = self.lab.directory / "dockerd.log"  # type: ignore[attr-defined]
        with open(log, "ab") as out:
            self.restarted.append(
                subprocess.Popen(
                    ["nsenter", f"--net={self.lab.netns}", *self.argv],  # type: ignore[attr-defined]
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        api = SocketDocker(self.socket, timeout=2)
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(EnvironmentProblem):
                api.ping()
                return
            assert self.restarted[-1].poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "dockerd did not come back"
            time.sleep(0.1)

    def containers(self) -> list[str]:
        """Names of every container of this engine, running or not."""
        res = subprocess.run(
            ["docker", "ps", "-a", "--format", "{{.Names}}"],
            env={**os.environ, "DOCKER_HOST": str(self.lab.docker_host)},  # type: ignore[attr-defined]
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert res.returncode == 0, res.stderr
        return res.stdout.split()


def children() -> set[int]:
    """Live (not zombie) child processes of this test process."""
    me = os.getpid()
    return {p.pid for p in hostprobe.processes() if p.ppid == me and p.alive}


def mounts() -> set[str]:
    return {line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()}


def fault_containers() -> list[str]:
    if shutil.which("docker") is None:
        return []
    res = subprocess.run(
        ["docker", "ps", "-a", "--format", "{{.Names}}"],
        capture_output=True,
        text=True,
        timeout=30,
        env={k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")},
    )
    return [n for n in res.stdout.split() if n.startswith(CONTAINER_PREFIX)]


def processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line contains ``text`` (not this one)."""
    return [
        f"{p.pid}: {p.cmdline}"
        for p in hostprobe.processes()
        if p.pid != os.getpid() and text in p.cmdline and p.alive
    ]


def integrity(path: Path) -> str:
    """PRAGMA integrity_check of a SQLite file, in a process of its own."""
    code = (
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
        "print(db.execute('PRAGMA integrity_check').fetchone()[0])"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def steps_recorded(path: Path, lesson: str) -> dict[str, tuple[str, int]]:
    """step → (status, attempts) of the CLI's learner, read in a process of its own."""
    code = (
        "import json, sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
        "rows = db.execute('SELECT step, status, attempts FROM step_progress"
        " WHERE learner = ? AND lesson = ?', ('local', sys.argv[2])).fetchall();"
        "print(json.dumps({s: [st, a] for s, st, a in rows}))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, str(path), lesson], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    import json

    return {k: (v[0], v[1]) for k, v in json.loads(res.stdout).items()}
