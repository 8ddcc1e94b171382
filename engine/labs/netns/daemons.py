"""The lab's daemons: dockerd and sshd, started in the lab's namespace, waited
for, checked on; and images copied into the lab's engine."""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from ...errors import EnvironmentProblem
from .layout import SSHD, Layout, NetnsLab
from .processes import alive, cmdline_mentions, read_pid, run

START_TIMEOUT = 30.0  # dockerd and sshd together
LOG_TAIL = 8


def daemon_env() -> dict[str, str]:
    # Nothing of a service manager's hand-over protocol reaches the daemons.
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID")
    }


def spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a daemon detached from us: own session, stdin closed, output to ``log``.

    The daemon is this process's child: a thread of its own waits for it, so it
    is reaped as soon as it exits (an unreaped child stays a zombie) however long
    this process lives, and ``poll()`` learns its exit code meanwhile.
    """
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the caller's terminal does not reach it
            cwd="/",
            env=daemon_env(),
        )
    threading.Thread(target=proc.wait, name=f"wait for {proc.pid}", daemon=True).start()
    return proc


def start_dockerd(lab: NetnsLab, layout: Layout, tools: dict[str, str]) -> subprocess.Popen[bytes]:
    layout.daemon_json.write_text("{}\n")
    return spawn(
        [
            tools["nsenter"],
            f"--net={lab.netns}",
            tools["dockerd"],
            "--config-file", str(layout.daemon_json),
            "--data-root", str(layout.data_root),
            "--exec-root", str(layout.exec_root),
            "--pidfile", str(layout.dockerd_pid),
            "--host", lab.docker_host,
            "--bip", f"172.30.{lab.slot}.1/24",
            "--shutdown-timeout", "2",
        ],
        layout.dockerd_log,
    )  # fmt: skip


def start_sshd(lab: NetnsLab, layout: Layout, tools: dict[str, str]) -> subprocess.Popen[bytes]:
    # The privilege-separation directory sshd insists on (normally made by systemd).
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    return spawn(
        [
            tools["nsenter"],
            f"--net={lab.netns}",
            SSHD,
            "-D",
            "-f",
            str(layout.sshd_config),
            "-E",
            str(layout.sshd_log),
        ],
        layout.sshd_log,
    )


def wait_for_dockerd(
    lab: NetnsLab,
    layout: Layout,
    proc: subprocess.Popen[bytes],
    deadline: float,
    tools: dict[str, str],
) -> None:
    while not docker_ping(layout.docker_sock):
        if proc.poll() is not None:
            raise start_failure(
                lab, "dockerd", f"exited with code {proc.returncode}", layout.dockerd_log
            )
        if time.monotonic() > deadline:
            raise start_failure(
                lab,
                "dockerd",
                f"did not answer on {layout.docker_sock} within {START_TIMEOUT:.0f} s",
                layout.dockerd_log,
            )
        time.sleep(0.05)
    # The CLI agrees, and it is this lab's engine that answers.
    res = run(
        lab.name, [tools["docker"], "info", "--format", "{{.DockerRootDir}}"], env=lab_env(lab)
    )
    if res.stdout.strip() != str(layout.data_root):
        raise EnvironmentProblem(
            f"lab {lab.name}: the engine on {lab.docker_host} reports data root {res.stdout.strip()!r}, not {layout.data_root}"
        )


def wait_for_sshd(
    lab: NetnsLab, layout: Layout, proc: subprocess.Popen[bytes], deadline: float
) -> None:
    # Checked from the host through the veth: the path every SSH client takes.
    while not ssh_banner(lab.address, lab.ssh_port):
        if proc.poll() is not None:
            raise start_failure(lab, "sshd", f"exited with code {proc.returncode}", layout.sshd_log)
        if time.monotonic() > deadline:
            raise start_failure(
                lab,
                "sshd",
                f"did not accept connections on {lab.address}:{lab.ssh_port}",
                layout.sshd_log,
            )
        time.sleep(0.05)


def start_failure(lab: NetnsLab, daemon: str, reason: str, log: Path) -> EnvironmentProblem:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    # dockerd's gRPC chatter says nothing about why it stopped.
    tail = [line for line in lines if "module=grpc" not in line][-LOG_TAIL:]
    details = "".join(f"\n  | {line}" for line in tail)
    return EnvironmentProblem(
        f"lab {lab.name}: {daemon} {reason} (log: {log}){details}",
        hint=f"the lines above are the end of {daemon}'s log; the lab was removed again",
    )


def ensure_image(lab: NetnsLab, image: str, tools: dict[str, str]) -> None:
    """Copy ``image`` from the host's engine (no registry needed) unless the lab has it."""
    docker = tools["docker"]
    if (
        run(lab.name, [docker, "image", "inspect", image], env=lab_env(lab), check=False).returncode
        == 0
    ):
        return
    if run(lab.name, [docker, "image", "inspect", image], check=False).returncode != 0:
        raise EnvironmentProblem(
            f"lab {lab.name}: image {image} is not in the host's Docker engine, so it cannot be copied into the lab",
            hint=f"docker pull {image} (or scripts/build-standin-image.sh for the nginx stand-in)",
        )
    # `docker save IMAGE | docker load`, the host's engine to the lab's.
    with tempfile.TemporaryFile() as save_err:
        save = subprocess.Popen([docker, "save", image], stdout=subprocess.PIPE, stderr=save_err)
        assert save.stdout is not None
        try:
            load = subprocess.run(
                [docker, "load", "--quiet"], stdin=save.stdout, capture_output=True, text=True,
                env=lab_env(lab), timeout=600,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            load = None
        finally:
            save.stdout.close()
            try:
                save.wait(timeout=60)
            except subprocess.TimeoutExpired:
                save.kill()
                save.wait()
        save_err.seek(0)
        save_error = save_err.read().decode(errors="replace").strip()
    if save.returncode != 0 or load is None or load.returncode != 0:
        reason = save_error or (load.stderr.strip() if load else "timed out") or "unknown error"
        raise EnvironmentProblem(
            f"lab {lab.name}: copying image {image} from the host's engine failed: {reason.splitlines()[0]}"
        )


def healthy(lab: NetnsLab) -> bool:
    layout = Layout(lab.name, lab.directory)
    if not lab.netns.exists() or not Path("/sys/class/net", lab.host_interface).exists():
        return False
    for pidfile in (layout.dockerd_pid, layout.sshd_pid):
        pid = read_pid(pidfile)
        if pid is None or not alive(pid) or not cmdline_mentions(pid, [lab.directory]):
            return False
    return docker_ping(layout.docker_sock) and ssh_banner(lab.address, lab.ssh_port)


def docker_ping(sock: Path) -> bool:
    """True if an engine answers GET /_ping on ``sock`` with 200."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(sock))
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            head = conn.recv(64)
    except OSError:
        return False
    return head.split(b" ", 2)[:2] in ([b"HTTP/1.0", b"200"], [b"HTTP/1.1", b"200"])


def ssh_banner(address: str, port: int) -> bool:
    """True if an SSH server greets us on ``address:port``."""
    try:
        with socket.create_connection((address, port), timeout=1) as conn:
            conn.settimeout(2)
            banner = b""
            while b"\n" not in banner and len(banner) < 256:
                chunk = conn.recv(256)
                if not chunk:
                    break
                banner += chunk
            # Reading the whole line lets the close be a clean FIN, not a reset.
            return banner.startswith(b"SSH-")
    except OSError:
        return False


def lab_env(lab: NetnsLab) -> dict[str, str]:
    """Environment for the docker CLI aimed at the lab's engine."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
    }
    env["DOCKER_HOST"] = lab.docker_host
    return env
