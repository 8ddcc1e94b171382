"""A lab host made from a network namespace: no VM, just a few processes.

A lesson's "lab" is normally another machine reached over SSH. CI machines
cannot boot VMs, so this module builds something that looks the same from the
far end of an SSH connection, on one Linux machine (as root)::

    host network namespace            lab network namespace NAME
    hn-<slot>-h 10.213.<slot>.1/24 ==veth== eth0 10.213.<slot>.2/24, lo
                                      sshd    listening on 10.213.<slot>.2:22
                                      dockerd docker0 172.30.<slot>.1/24

Design notes:

* Only the network is separate. dockerd and sshd share the host's files, PIDs
  and cgroups, which is all a lesson about *host networking* needs: a container
  on the lab engine's ``host`` network binds its ports in the lab's namespace,
  so they answer on the lab's address and never on the host's own ports.
* Daemons start with ``nsenter --net=/var/run/netns/NAME …``, not ``ip netns
  exec NAME …``: the latter also makes a new mount namespace, remounts /sys
  for the network namespace (hiding the host's cgroup mounts, which dockerd
  and runc need) and binds files from /etc/netns/NAME over /etc. nsenter
  switches the network namespace and nothing else.
* dockerd gets everything of its own: ``--data-root`` and ``--pidfile`` in the
  lab directory, an empty ``--config-file`` (so /etc/docker/daemon.json does
  not leak in), a ``--bip`` unlike the host's docker0, and ``--exec-root`` and
  its API socket in /run/docker-hostnet/labs/NAME: unix socket paths are
  limited to 108 bytes, which containerd's sockets under a deep lab directory
  (pytest's tmp_path, say) would exceed.
* sshd uses generated ed25519 keys. The generated client config pins the
  lab's host key (StrictHostKeyChecking yes, its own known_hosts file), and
  sshd's ``SetEnv DOCKER_HOST=…`` makes ``docker`` in every session talk to the
  lab's engine, never to the host's.
* The lab has no default route: from inside it only the host's end of the veth
  is reachable, so nothing a lesson does there sends traffic anywhere else.
* ``lab.json`` in the lab directory is written before anything else is made,
  and the runtime directory holds an ``owner`` file naming the lab directory,
  so a crashed or half-made lab can always be found and removed. up() and
  down() are serialised by a lock file and are idempotent.
* down() leaves nothing: it removes the lab engine's containers, stops sshd and
  dockerd (SIGTERM, then SIGKILL), kills whatever else belongs to the lab (a
  command line naming a lab path — containerd, shims —, or a process in the
  lab's network namespace, and all their descendants), unmounts what dockerd
  left under the lab's paths, deletes the veth and the namespace and removes
  the files.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import EnvironmentProblem

DEFAULT_BASE = Path(os.environ.get("HOSTNET_LAB_DIR", "/var/lib/docker-hostnet/labs"))
RUN_BASE = Path("/run/docker-hostnet/labs")  # runtime dirs: the engine's socket, --exec-root
LOCK_FILE = RUN_BASE.parent / "labs.lock"
NETNS_DIR = Path("/var/run/netns")  # where `ip netns add NAME` puts the namespace handle
SSHD = "/usr/sbin/sshd"

# Address plan: lab slot N owns 10.213.N.0/24 (.1 host end, .2 the lab) and its
# engine's docker0 is 172.30.N.1/24, so learners can tell addresses apart.
LAB_NETWORK = ipaddress.IPv4Network("10.213.0.0/16")
MAX_SLOTS = 256
SSH_PORT = 22

START_TIMEOUT = 30.0  # dockerd and sshd together
STOP_TIMEOUT = 5.0  # graceful stop, then SIGKILL
LOCK_TIMEOUT = 120.0

_NAME = re.compile(r"[a-z][a-z0-9-]{0,14}")
_STATE = "lab.json"
_STATE_FORMAT = 1
_LOG_TAIL = 8

_HINTS = {
    "ip": "apt-get install iproute2",
    "nsenter": "apt-get install util-linux",
    "umount": "apt-get install mount",
    "dockerd": "apt-get install docker.io (or run scripts/ensure-docker.sh)",
    "docker": "install the docker CLI (scripts/ensure-docker.sh)",
    "ssh-keygen": "apt-get install openssh-client",
}

# Daemons this process started: kept so it can reap them once they exit
# (an unreaped child stays a zombie, and a zombie still looks alive in /proc).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class NetnsLab:
    """One lab: reach it with ``ssh -F <ssh_config> <name>`` or ``docker -H <docker_host>``."""

    name: str
    directory: Path  # everything the lab owns on disk (but the netns handle and run_dir)
    address: str  # the lab's IPv4 address (eth0 inside the namespace)
    host_address: str  # the host's end of the veth
    ssh_port: int
    ssh_config: Path  # OpenSSH client config with `Host <name>`
    docker_host: str  # unix:// socket of the lab's own dockerd

    @property
    def slot(self) -> int:
        return int(self.address.split(".")[2])

    @property
    def netns(self) -> Path:
        return NETNS_DIR / self.name

    @property
    def host_interface(self) -> str:
        return _host_interface(self.slot)

    @property
    def run_dir(self) -> Path:
        return RUN_BASE / self.name


# --------------------------------------------------------------------------- API


def up(name: str, *, image: str | None = None, base: Path = DEFAULT_BASE) -> NetnsLab:
    """Make lab ``name`` (or return it if it is already up and healthy).

    A lab that exists but is not healthy (a daemon died, the machine rebooted,
    a previous up() was interrupted) is torn down and made again. With
    ``image``, that image is copied from the host's engine into the lab's.
    """
    _check_name(name)
    _require_root(name)
    tools = _require_tools(name)
    directory = _lab_dir(name, base)
    with _locked(name):
        lab = _read(directory)
        if lab is not None and _healthy(lab):
            if image:
                _ensure_image(lab, image, tools)
            return lab
        if _present(name, directory):
            _teardown(name, directory, tools)
        _check_name_is_free(name, directory)
        lab = _create(name, directory)
        try:
            _start(lab, tools)
            if image:
                _ensure_image(lab, image, tools)
        except BaseException:
            # up() returns a whole lab or leaves nothing; the original error wins.
            with contextlib.suppress(Exception):
                _teardown(name, directory, tools)
            raise
        return lab


def down(name: str, *, base: Path = DEFAULT_BASE) -> bool:
    """Remove lab ``name`` entirely; False if there was nothing to remove."""
    _check_name(name)
    _require_root(name)
    tools = {tool: shutil.which(tool) or tool for tool in ("ip", "umount", "docker")}
    directory = _lab_dir(name, base)
    with _locked(name):
        if not _present(name, directory):
            return False
        _teardown(name, directory, tools)
        return True


def get(name: str, base: Path = DEFAULT_BASE) -> NetnsLab | None:
    """The lab recorded under ``base`` (healthy or not), or None."""
    _check_name(name)
    return _read(_lab_dir(name, base))


def list_labs(base: Path = DEFAULT_BASE) -> list[NetnsLab]:
    """Every lab recorded under ``base``, by name."""
    try:
        entries = sorted(Path(base).absolute().iterdir())
    except OSError:
        return []
    return [lab for entry in entries if _NAME.fullmatch(entry.name) and (lab := _read(entry))]


# ------------------------------------------------------------------ checks, state


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise EnvironmentProblem(
            f"lab {name!r}: invalid name",
            hint="a lab name is 1-15 characters: a lowercase letter, then lowercase letters, digits or '-'",
        )


def _require_root(name: str) -> None:
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            f"lab {name}: network-namespace labs need root (running as uid {os.geteuid()})",
            hint="run it as root, e.g. with sudo",
        )


def _require_tools(name: str) -> dict[str, str]:
    """Absolute paths of the programs up() runs; a clear error for the first one missing."""
    tools: dict[str, str] = {}
    for tool, hint in _HINTS.items():
        path = shutil.which(tool)
        if path is None:
            raise EnvironmentProblem(f"lab {name}: `{tool}` is not installed", hint=hint)
        tools[tool] = path
    if not os.access(SSHD, os.X_OK):
        raise EnvironmentProblem(
            f"lab {name}: {SSHD} is missing (the lab's SSH server is OpenSSH's sshd)",
            hint="apt-get install openssh-server",
        )
    return tools


def _lab_dir(name: str, base: Path) -> Path:
    # Absolute: these paths end up in sshd_config, ssh_config and dockerd's flags.
    return Path(base).absolute() / name


def _subnet(slot: int) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network((int(LAB_NETWORK.network_address) + (slot << 8), 24))


def _host_interface(slot: int) -> str:
    return f"hn-{slot}-h"  # at most 10 characters: interface names stop at 15


class _Layout:
    """Where a lab's files live."""

    def __init__(self, name: str, directory: Path) -> None:
        self.directory = directory
        self.state = directory / _STATE
        self.daemon_json = directory / "daemon.json"
        self.data_root = directory / "docker"
        self.dockerd_pid = directory / "dockerd.pid"
        self.dockerd_log = directory / "dockerd.log"
        self.ssh_dir = directory / "ssh"
        self.host_key = self.ssh_dir / "ssh_host_ed25519_key"
        self.client_key = self.ssh_dir / "id_ed25519"
        self.authorized_keys = self.ssh_dir / "authorized_keys"
        self.known_hosts = self.ssh_dir / "known_hosts"
        self.sshd_config = self.ssh_dir / "sshd_config"
        self.sshd_pid = directory / "sshd.pid"
        self.sshd_log = directory / "sshd.log"
        self.ssh_config = directory / "ssh_config"
        self.home = directory / "home"  # the lab's own $HOME for SSH sessions
        self.run_dir = RUN_BASE / name
        self.owner = self.run_dir / "owner"
        self.exec_root = self.run_dir / "exec"
        self.docker_sock = self.run_dir / "docker.sock"


def _read(directory: Path) -> NetnsLab | None:
    """The lab recorded in ``directory/lab.json``; None if absent or unreadable."""
    try:
        data = json.loads((directory / _STATE).read_text())
        lab = NetnsLab(
            name=str(data["name"]),
            directory=Path(data["directory"]),
            address=str(data["address"]),
            host_address=str(data["host_address"]),
            ssh_port=int(data["ssh_port"]),
            ssh_config=Path(data["ssh_config"]),
            docker_host=str(data["docker_host"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if lab.name != directory.name or lab.directory != directory:
        return None  # copied or moved by hand: not something this module made
    return lab


def _write_state(lab: NetnsLab) -> None:
    state: dict[str, Any] = {
        "format": _STATE_FORMAT,
        "name": lab.name,
        "directory": str(lab.directory),
        "address": lab.address,
        "host_address": lab.host_address,
        "ssh_port": lab.ssh_port,
        "ssh_config": str(lab.ssh_config),
        "docker_host": lab.docker_host,
        # Not NetnsLab fields, recorded for people and for down():
        "slot": lab.slot,
        "netns": str(lab.netns),
        "host_interface": lab.host_interface,
        "run_dir": str(lab.run_dir),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    path = lab.directory / _STATE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(path)


def _owns_run_dir(name: str, directory: Path) -> bool:
    try:
        return _Layout(name, directory).owner.read_text().strip() == str(directory)
    except OSError:
        return False


def _present(name: str, directory: Path) -> bool:
    """Whether anything of lab ``name`` in ``directory`` exists, to be removed.

    A directory that is neither empty nor has a lab.json is not a lab: it is
    refused rather than emptied (and the processes naming it killed).
    """
    if _owns_run_dir(name, directory):
        return True
    if not directory.exists():
        return False
    if (directory / _STATE).exists() or (directory.is_dir() and not any(directory.iterdir())):
        return True  # (empty: a crash right after mkdir, before lab.json)
    raise EnvironmentProblem(
        f"lab {name}: {directory} exists but is not a lab directory (it has no {_STATE})",
        hint="choose another lab name or base directory; nothing was changed",
    )


def _check_name_is_free(name: str, directory: Path) -> None:
    """Namespace names are global: refuse one this lab directory did not make."""
    if (NETNS_DIR / name).exists():
        raise EnvironmentProblem(
            f"lab {name}: a network namespace named {name} already exists and is not the lab in {directory}",
            hint=f"choose another lab name, or remove that namespace (`ip netns del {name}`) if nothing uses it",
        )
    run_dir = RUN_BASE / name
    if run_dir.exists():
        try:
            owner = (run_dir / "owner").read_text().strip()
        except OSError:
            owner = "unknown"
        raise EnvironmentProblem(
            f"lab {name}: {run_dir} already belongs to another lab ({owner})",
            hint="choose another lab name, or take that lab down first",
        )


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """One lab operation at a time on this machine (slots and names are global)."""
    LOCK_FILE.parent.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a") as lock:  # not inherited by the daemons (O_CLOEXEC)
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise EnvironmentProblem(
                        f"lab {name}: another lab operation has held {LOCK_FILE} for {LOCK_TIMEOUT:.0f} s"
                    ) from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# ------------------------------------------------------------------------ making


def _create(name: str, directory: Path) -> NetnsLab:
    """Pick a slot and record the lab before making anything, so down() can find it."""
    slot = _free_slot(name, directory.parent)
    subnet = _subnet(slot)
    layout = _Layout(name, directory)
    lab = NetnsLab(
        name=name,
        directory=directory,
        address=str(subnet[2]),
        host_address=str(subnet[1]),
        ssh_port=SSH_PORT,
        ssh_config=layout.ssh_config,
        docker_host=f"unix://{layout.docker_sock}",
    )
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.mkdir(mode=0o700)
    _write_state(lab)
    layout.run_dir.mkdir(parents=True, mode=0o700)
    layout.owner.write_text(f"{directory}\n")
    return lab


def _free_slot(name: str, base: Path) -> int:
    """The first slot no lab under ``base`` uses and that clashes with nothing on the host.

    Labs under other base directories show up as the host's interfaces and
    addresses; a /24 is also skipped if any host address or a route at least as
    specific lies inside it.
    """
    used = {lab.slot for lab in list_labs(base)}
    host_addresses: list[ipaddress.IPv4Address] = []
    host_routes: list[ipaddress.IPv4Network] = []
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, timeout=10
        ).stdout
        for match in re.finditer(r"\binet (\d+\.\d+\.\d+\.\d+)", out):
            host_addresses.append(ipaddress.IPv4Address(match[1]))
        out = subprocess.run(
            ["ip", "-4", "route", "show"], capture_output=True, text=True, timeout=10
        ).stdout
        for line in out.splitlines():
            with contextlib.suppress(ValueError, IndexError):
                host_routes.append(ipaddress.IPv4Network(line.split()[0], strict=False))
    for slot in range(MAX_SLOTS):
        subnet = _subnet(slot)
        if slot in used or Path("/sys/class/net", _host_interface(slot)).exists():
            continue
        if any(address in subnet for address in host_addresses):
            continue
        if any(route.subnet_of(subnet) for route in host_routes):
            continue
        return slot
    raise EnvironmentProblem(
        f"lab {name}: no free /24 left in {LAB_NETWORK} ({MAX_SLOTS} labs at most)",
        hint="take labs down that are no longer needed",
    )


def _start(lab: NetnsLab, tools: dict[str, str]) -> None:
    layout = _Layout(lab.name, lab.directory)
    _make_network(lab, tools)
    dockerd = _start_dockerd(lab, layout, tools)
    _write_ssh_files(lab, layout, tools)  # while dockerd boots
    sshd = _start_sshd(lab, layout, tools)
    deadline = time.monotonic() + START_TIMEOUT
    _wait_for_dockerd(lab, layout, dockerd, deadline, tools)
    _wait_for_sshd(lab, layout, sshd, deadline)


def _make_network(lab: NetnsLab, tools: dict[str, str]) -> None:
    ip, ns, veth = tools["ip"], lab.name, lab.host_interface
    # The peer is created directly inside the namespace, so it can be called
    # eth0 there without clashing with the host's own eth0.
    for args in (
        ["netns", "add", ns],
        ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
        ["addr", "add", f"{lab.host_address}/24", "dev", veth],
        ["link", "set", veth, "up"],
        ["-n", ns, "link", "set", "lo", "up"],
        ["-n", ns, "addr", "add", f"{lab.address}/24", "dev", "eth0"],
        ["-n", ns, "link", "set", "eth0", "up"],
    ):
        _run(lab.name, [ip, *args])


def _daemon_env() -> dict[str, str]:
    # Nothing of a service manager's hand-over protocol reaches the daemons.
    return {
        k: v
        for k, v in os.environ.items()
        if k not in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID")
    }


def _spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a daemon detached from us: own session, stdin closed, output to ``log``."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the caller's terminal does not reach it
            cwd="/",
            env=_daemon_env(),
        )
    _CHILDREN[proc.pid] = proc
    return proc


def _start_dockerd(
    lab: NetnsLab, layout: _Layout, tools: dict[str, str]
) -> subprocess.Popen[bytes]:
    layout.daemon_json.write_text("{}\n")
    return _spawn(
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


def _write_ssh_files(lab: NetnsLab, layout: _Layout, tools: dict[str, str]) -> None:
    layout.ssh_dir.mkdir(mode=0o700)
    for key, role in ((layout.host_key, "host"), (layout.client_key, "client")):
        _run(
            lab.name,
            [
                tools["ssh-keygen"],
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                f"hostnet lab {lab.name} {role} key",
                "-f",
                str(key),
            ],
        )
    layout.authorized_keys.write_text(Path(f"{layout.client_key}.pub").read_text())
    # A home of its own, like a separate machine: the host root's shell start-up
    # files (sourced by bash for every SSH command) and ~/.docker stay out.
    layout.home.mkdir(exist_ok=True)
    for rc in (".bashrc", ".profile"):
        (layout.home / rc).write_text(f"# docker-hostnet lab {lab.name}\n")
    key_type, public_key = Path(f"{layout.host_key}.pub").read_text().split()[:2]
    host = lab.address if lab.ssh_port == 22 else f"[{lab.address}]:{lab.ssh_port}"
    layout.known_hosts.write_text(f"{host} {key_type} {public_key}\n")

    layout.sshd_config.write_text(
        f"""\
# sshd of docker-hostnet lab {lab.name}; it runs inside the lab's network namespace.
Port {lab.ssh_port}
ListenAddress {lab.address}
HostKey {_quote(layout.host_key)}
PidFile {_quote(layout.sshd_pid)}
AuthorizedKeysFile {_quote(layout.authorized_keys)}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The key files live in the lab directory, whatever its owner and mode.
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
Subsystem sftp internal-sftp
# Every session's `docker` talks to the lab's engine, not the host's, and
# HOME is the lab's (its shell start-up files, its ~/.docker).
SetEnv DOCKER_HOST={lab.docker_host} HOME={_quote(layout.home)}
"""
    )
    layout.ssh_config.write_text(
        f"""\
# OpenSSH client config for docker-hostnet lab {lab.name}: ssh -F {_quote(layout.ssh_config)} {lab.name}
Host {lab.name}
    HostName {lab.address}
    Port {lab.ssh_port}
    User root
    IdentityFile {_quote(layout.client_key)}
    IdentitiesOnly yes
    UserKnownHostsFile {_quote(layout.known_hosts)}
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    UpdateHostKeys no
    BatchMode yes
    ConnectTimeout 10
"""
    )


def _quote(path: Path) -> str:
    # ssh/sshd config syntax: double quotes keep spaces; %% is a literal %.
    return '"' + str(path).replace("%", "%%") + '"'


def _start_sshd(lab: NetnsLab, layout: _Layout, tools: dict[str, str]) -> subprocess.Popen[bytes]:
    # The privilege-separation directory sshd insists on (normally made by systemd).
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    return _spawn(
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


def _wait_for_dockerd(
    lab: NetnsLab,
    layout: _Layout,
    proc: subprocess.Popen[bytes],
    deadline: float,
    tools: dict[str, str],
) -> None:
    while not _docker_ping(layout.docker_sock):
        if proc.poll() is not None:
            raise _start_failure(
                lab, "dockerd", f"exited with code {proc.returncode}", layout.dockerd_log
            )
        if time.monotonic() > deadline:
            raise _start_failure(
                lab,
                "dockerd",
                f"did not answer on {layout.docker_sock} within {START_TIMEOUT:.0f} s",
                layout.dockerd_log,
            )
        time.sleep(0.05)
    # The CLI agrees, and it is this lab's engine that answers.
    res = _run(
        lab.name, [tools["docker"], "info", "--format", "{{.DockerRootDir}}"], env=_lab_env(lab)
    )
    if res.stdout.strip() != str(layout.data_root):
        raise EnvironmentProblem(
            f"lab {lab.name}: the engine on {lab.docker_host} reports data root {res.stdout.strip()!r}, not {layout.data_root}"
        )


def _wait_for_sshd(
    lab: NetnsLab, layout: _Layout, proc: subprocess.Popen[bytes], deadline: float
) -> None:
    # Checked from the host through the veth: the path every SSH client takes.
    while not _ssh_banner(lab.address, lab.ssh_port):
        if proc.poll() is not None:
            raise _start_failure(
                lab, "sshd", f"exited with code {proc.returncode}", layout.sshd_log
            )
        if time.monotonic() > deadline:
            raise _start_failure(
                lab,
                "sshd",
                f"did not accept connections on {lab.address}:{lab.ssh_port}",
                layout.sshd_log,
            )
        time.sleep(0.05)


def _start_failure(lab: NetnsLab, daemon: str, reason: str, log: Path) -> EnvironmentProblem:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        lines = []
    # dockerd's gRPC chatter says nothing about why it stopped.
    tail = [line for line in lines if "module=grpc" not in line][-_LOG_TAIL:]
    details = "".join(f"\n  | {line}" for line in tail)
    return EnvironmentProblem(
        f"lab {lab.name}: {daemon} {reason} (log: {log}){details}",
        hint=f"the lines above are the end of {daemon}'s log; the lab was removed again",
    )


def _ensure_image(lab: NetnsLab, image: str, tools: dict[str, str]) -> None:
    """Copy ``image`` from the host's engine (no registry needed) unless the lab has it."""
    docker = tools["docker"]
    if (
        _run(
            lab.name, [docker, "image", "inspect", image], env=_lab_env(lab), check=False
        ).returncode
        == 0
    ):
        return
    if _run(lab.name, [docker, "image", "inspect", image], check=False).returncode != 0:
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
                env=_lab_env(lab), timeout=600,
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


# ----------------------------------------------------------------------- health


def _healthy(lab: NetnsLab) -> bool:
    layout = _Layout(lab.name, lab.directory)
    if not lab.netns.exists() or not Path("/sys/class/net", lab.host_interface).exists():
        return False
    for pidfile in (layout.dockerd_pid, layout.sshd_pid):
        pid = _read_pid(pidfile)
        if pid is None or not _alive(pid) or not _cmdline_mentions(pid, [lab.directory]):
            return False
    return _docker_ping(layout.docker_sock) and _ssh_banner(lab.address, lab.ssh_port)


def _docker_ping(sock: Path) -> bool:
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


def _ssh_banner(address: str, port: int) -> bool:
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


def _lab_env(lab: NetnsLab) -> dict[str, str]:
    """Environment for the docker CLI aimed at the lab's engine."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
    }
    env["DOCKER_HOST"] = lab.docker_host
    return env


def _run(
    name: str,
    argv: list[str],
    *,
    check: bool = True,
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    command = shlex.join(argv)
    try:
        res = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired:
        raise EnvironmentProblem(
            f"lab {name}: `{command}` did not finish within {timeout:.0f} s"
        ) from None
    except OSError as exc:
        raise EnvironmentProblem(f"lab {name}: cannot run `{command}`: {exc}") from None
    if check and res.returncode != 0:
        why = (
            res.stderr.strip() or res.stdout.strip() or f"exit code {res.returncode}"
        ).splitlines()[0]
        raise EnvironmentProblem(f"lab {name}: `{command}` failed: {why}")
    return res


# -------------------------------------------------------------------- processes


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _reap() -> None:
    for pid, proc in list(_CHILDREN.items()):
        if proc.poll() is not None:
            del _CHILDREN[pid]


def _alive(pid: int) -> bool:
    """Running (zombies are not: this machine's PID 1 may never reap orphans)."""
    _reap()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _process_table() -> dict[int, tuple[int, str]]:
    """Live processes: pid -> (parent pid, command line with NULs as spaces)."""
    table: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rpartition(")")[2].split()
        if fields[0] == "Z" or not cmdline:
            continue  # zombies and kernel threads
        table[int(entry)] = (int(fields[1]), cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return table


def _mentions(cmdline: str, roots: Iterable[Path]) -> bool:
    return any(re.search(re.escape(str(root)) + r"(/|\s|$)", cmdline) for root in roots)


def _netns_id(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _lab_processes(roots: list[Path], netns: Path | None) -> set[int]:
    """Processes whose command line names a lab path or that live in the lab's
    network namespace, with all their descendants (containers under a shim)."""
    table = _process_table()
    me: set[int] = set()
    pid = os.getpid()
    while pid > 0 and pid not in me:  # never ourselves or our callers
        me.add(pid)
        pid = table.get(pid, (0, ""))[0]
    ns_id = _netns_id(netns) if netns is not None else None
    found = {
        pid
        for pid, (_, cmdline) in table.items()
        if pid not in me
        and (
            _mentions(cmdline, roots)
            or (ns_id is not None and _netns_id(f"/proc/{pid}/ns/net") == ns_id)
        )
    }
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found and child not in me:
                found.add(child)
                todo.append(child)
    return found


def _signal_all(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def _wait_gone(pids: Iterable[int], timeout: float) -> set[int]:
    """Wait until none of ``pids`` runs; the ones still running at the timeout."""
    deadline = time.monotonic() + timeout
    left = {pid for pid in pids if _alive(pid)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {pid for pid in left if _alive(pid)}
    return left


# ---------------------------------------------------------------------- removal


def _teardown(name: str, directory: Path, tools: dict[str, str]) -> None:
    """Remove everything of the lab in ``directory``, whatever state it is in."""
    layout = _Layout(name, directory)
    lab = _read(directory)
    owns_run = _owns_run_dir(name, directory)
    # The namespace handle is global: ours only if our records say we made it.
    netns = NETNS_DIR / name if (lab is not None or owns_run) else None
    roots = [directory, layout.run_dir] if owns_run else [directory]

    # 1. Containers first, while the engine answers: `rm -f` kills at once,
    #    where dockerd's own shutdown would wait for each one to stop.
    if owns_run and _docker_ping(layout.docker_sock):
        lab_env = {**os.environ, "DOCKER_HOST": f"unix://{layout.docker_sock}"}
        lab_env.pop("DOCKER_CONTEXT", None)
        with contextlib.suppress(EnvironmentProblem):
            ids = _run(name, [tools["docker"], "ps", "-aq"], env=lab_env, timeout=20).stdout.split()
            if ids:
                _run(
                    name, [tools["docker"], "rm", "-f", *ids], env=lab_env, timeout=30, check=False
                )

    # 2. sshd and dockerd stop gracefully (dockerd unmounts and stops containerd).
    daemons = [
        pid
        for pid in (_read_pid(layout.dockerd_pid), _read_pid(layout.sshd_pid))
        if pid is not None and _alive(pid) and _cmdline_mentions(pid, roots)  # not a reused pid
    ]
    _signal_all(daemons, signal.SIGTERM)
    _wait_gone(daemons, STOP_TIMEOUT)

    # 3. Whatever is left of the lab is killed: SSH sessions, shims, containers.
    left = _lab_processes(roots, netns)
    for _ in range(3):
        if not left:
            break
        _signal_all(left, signal.SIGKILL)
        _wait_gone(left, 2.0)
        left = _lab_processes(roots, netns)  # and whatever they started meanwhile
    if left:
        raise EnvironmentProblem(f"lab {name}: processes {sorted(left)} would not die")

    # 4. Mounts dockerd left behind (its netns handles in --exec-root, overlays).
    _unmount_under(name, roots, tools["umount"])

    # 5. Network: deleting one end of a veth deletes both.
    if lab is not None and Path("/sys/class/net", lab.host_interface).exists():
        _run(name, [tools["ip"], "link", "del", lab.host_interface], check=False)
    if netns is not None and netns.exists():
        _run(name, [tools["ip"], "netns", "del", name])

    # 6. Files: the runtime directory, then the lab directory (lab.json last of all).
    for path in ([layout.run_dir] if owns_run else []) + [directory]:
        try:
            shutil.rmtree(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise EnvironmentProblem(f"lab {name}: cannot remove {path}: {exc}") from None
    with contextlib.suppress(OSError):
        RUN_BASE.rmdir()  # only if no other lab is left


def _cmdline_mentions(pid: int, roots: list[Path]) -> bool:
    try:
        cmdline = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return False
    return _mentions(cmdline, roots)


def _mount_points() -> list[str]:
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    # Fields escape space, tab, newline and backslash as octal (\040 …).
    return [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[1]) for line in lines]


def _unmount_under(name: str, roots: list[Path], umount: str) -> None:
    for _ in range(5):  # stacked mounts need more than one pass
        targets = sorted(
            {
                m
                for m in _mount_points()
                for root in roots
                if m == str(root) or m.startswith(f"{root}/")
            },
            key=lambda m: m.count("/"),
            reverse=True,  # deepest first
        )
        if not targets:
            return
        for target in targets:
            if _run(name, [umount, target], check=False).returncode != 0:
                _run(name, [umount, "--lazy", target], check=False)
    raise EnvironmentProblem(f"lab {name}: cannot unmount {', '.join(targets)}")
