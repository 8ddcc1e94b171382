"""Taking a lab down: whatever state it is in, nothing of it is left."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
from pathlib import Path

from ... import hostprobe
from ...errors import EnvironmentProblem
from . import state
from .daemons import docker_ping
from .layout import NETNS_DIR, RUN_BASE, Layout
from .network import remove_network
from .processes import alive, cmdline_mentions, lab_processes, read_pid, run, signal_all, wait_gone

STOP_TIMEOUT = 5.0  # graceful stop, then SIGKILL


def teardown(name: str, directory: Path, tools: dict[str, str]) -> None:
    """Remove everything of the lab in ``directory``, whatever state it is in."""
    layout = Layout(name, directory)
    lab = state.read(directory)
    owns_run = state.owns_run_dir(name, directory)
    # The namespace handle is global: ours only if our records say we made it.
    netns = NETNS_DIR / name if (lab is not None or owns_run) else None
    roots = [directory, layout.run_dir] if owns_run else [directory]

    # 1. Containers first, while the engine answers: `rm -f` kills at once,
    #    where dockerd's own shutdown would wait for each one to stop.
    if owns_run and docker_ping(layout.docker_sock):
        lab_env = {**os.environ, "DOCKER_HOST": f"unix://{layout.docker_sock}"}
        lab_env.pop("DOCKER_CONTEXT", None)
        with contextlib.suppress(EnvironmentProblem):
            ids = run(name, [tools["docker"], "ps", "-aq"], env=lab_env, timeout=20).stdout.split()
            if ids:
                run(name, [tools["docker"], "rm", "-f", *ids], env=lab_env, timeout=30, check=False)

    # 2. sshd and dockerd stop gracefully (dockerd unmounts and stops containerd).
    daemons = [
        pid
        for pid in (read_pid(layout.dockerd_pid), read_pid(layout.sshd_pid))
        if pid is not None and alive(pid) and cmdline_mentions(pid, roots)  # not a reused pid
    ]
    signal_all(daemons, signal.SIGTERM)
    wait_gone(daemons, STOP_TIMEOUT)

    # 3. Whatever is left of the lab is killed: SSH sessions, shims, containers.
    netns_id = hostprobe.namespace_id(str(netns)) if netns is not None else None
    left = lab_processes(roots, netns_id)
    for _ in range(3):
        if not left:
            break
        signal_all(left, signal.SIGKILL)
        wait_gone(left, 2.0)
        left = lab_processes(roots, netns_id)  # and whatever they started meanwhile
    if left:
        raise EnvironmentProblem(f"lab {name}: processes {sorted(left)} would not die")

    # 4. Mounts dockerd left behind (its netns handles in --exec-root, overlays).
    unmount_under(name, roots, tools["umount"])

    # 5. Network: the veth and the namespace.
    remove_network(name, lab, netns, tools["ip"])

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


def mount_points() -> list[str]:
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return []
    # Fields escape space, tab, newline and backslash as octal (\040 …).
    return [re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[1]) for line in lines]


def unmount_under(name: str, roots: list[Path], umount: str) -> None:
    for _ in range(5):  # stacked mounts need more than one pass
        targets = sorted(
            {
                m
                for m in mount_points()
                for root in roots
                if m == str(root) or m.startswith(f"{root}/")
            },
            key=lambda m: m.count("/"),
            reverse=True,  # deepest first
        )
        if not targets:
            return
        for target in targets:
            if run(name, [umount, target], check=False).returncode != 0:
                run(name, [umount, "--lazy", target], check=False)
    raise EnvironmentProblem(f"lab {name}: cannot unmount {', '.join(targets)}")
