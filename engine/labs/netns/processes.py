"""Programs a lab runs and processes it owns (found with :func:`hostprobe.processes`)."""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from ... import hostprobe
from ...errors import EnvironmentProblem


def run(
    name: str,
    argv: list[str],
    *,
    check: bool = True,
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a tool for lab ``name``; a failure (with ``check``) is an EnvironmentProblem."""
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


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def alive(pid: int) -> bool:
    """Running: not gone, and not a zombie (this machine's PID 1 may never reap orphans)."""
    return hostprobe.Process(pid).alive


def mentions(cmdline: str, roots: Iterable[Path]) -> bool:
    """Whether a command line names one of ``roots`` or a path under it."""
    return any(re.search(re.escape(str(root)) + r"(/|\s|$)", cmdline) for root in roots)


def cmdline_mentions(pid: int, roots: Sequence[Path]) -> bool:
    return mentions(hostprobe.Process(pid).cmdline, roots)


def lab_processes(
    roots: Sequence[Path],
    netns: tuple[int, int] | None,
    table: Sequence[hostprobe.Process] | None = None,
) -> set[int]:
    """Processes whose command line names a lab path or that live in the lab's
    network namespace (see :func:`hostprobe.namespace_id`), with all their
    descendants (containers under a shim); never this process or its callers.

    ``table``: a snapshot of :func:`hostprobe.processes` to share between several
    labs (fields are read once per process); a fresh one by default.
    """
    live = [p for p in (hostprobe.processes() if table is None else table) if _user_process(p)]
    parent = {p.pid: p.ppid for p in live}
    me: set[int] = set()
    pid = os.getpid()
    while pid > 0 and pid not in me:
        me.add(pid)
        pid = parent.get(pid, 0)
    found = {
        p.pid
        for p in live
        if p.pid not in me
        and (mentions(p.cmdline, roots) or (netns is not None and p.netns == netns))
    }
    children: dict[int, list[int]] = {}
    for child, ppid in parent.items():
        children.setdefault(ppid, []).append(child)
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found and child not in me:
                found.add(child)
                todo.append(child)
    return found


def _user_process(proc: hostprobe.Process) -> bool:
    return proc.alive and bool(proc.argv)  # not zombies, not kernel threads


def signal_all(pids: Iterable[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pids: Iterable[int], timeout: float) -> set[int]:
    """Wait until none of ``pids`` runs; the ones still running at the timeout."""
    deadline = time.monotonic() + timeout
    left = {pid for pid in pids if alive(pid)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {pid for pid in left if alive(pid)}
    return left
