"""The labs of a workshop round, measured from the outside: memory and CPU per lab,
the machine's load, whether the host's own port 80 was ever taken (bench/workshop.py).

Memory per lab is the resident set (VmRSS) of every process of the lab: a
command line naming the lab's directories (dockerd, containerd, shims), or a
process in the lab's network namespace (sshd and its sessions, nginx), with
their descendants, summed; PSS (shared pages split between the processes that
map them) is given too, since eight dockerds share one binary.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SAMPLE_EVERY = 0.2  # seconds between memory samples


def status_kib(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class LabProcs:
    """What belongs to one lab: its paths and its network namespace."""

    name: str
    roots: list[Path]
    netns: tuple[int, int] | None  # hostprobe.namespace_id of its handle


def lab_pids(labs: list[LabProcs]) -> dict[str, set[int]]:
    """One scan of /proc: each lab's processes (as ``netns.down`` finds them to kill)."""
    from hostnet.engine import hostprobe
    from hostnet.engine.labs import netns

    table = hostprobe.processes()  # shared: each process's fields are read once
    return {lab.name: netns.lab_processes(lab.roots, lab.netns, table) for lab in labs}


def lab_memory(labs: list[LabProcs], *, pss: bool = False) -> dict[str, int]:
    """KiB per lab: summed VmRSS (or PSS) of its processes."""
    measure: Callable[[int], int] = _pss_kib if pss else (lambda pid: status_kib(pid, "VmRSS"))
    return {name: sum(measure(pid) for pid in pids) for name, pids in lab_pids(labs).items()}


def lab_memory_by_program(labs: list[LabProcs]) -> dict[str, dict[str, int]]:
    """KiB of VmRSS per lab and program name (dockerd, containerd, sshd, …)."""
    from hostnet.engine import hostprobe

    out: dict[str, dict[str, int]] = {}
    for name, pids in lab_pids(labs).items():
        programs = out.setdefault(name, {})
        for pid in pids:
            comm = hostprobe.Process(pid).comm
            if not comm:
                continue  # gone meanwhile
            programs[comm] = programs.get(comm, 0) + status_kib(pid, "VmRSS")
    return out


def cpu_busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])
    return total - idle, total


TICK = os.sysconf("SC_CLK_TCK")


def lab_cpu(labs: list[LabProcs]) -> dict[tuple[int, str], float]:
    """CPU seconds of each live lab process, (pid, start time) → own + reaped children's.

    Commands a lab runs for a lesson (bash, docker, the probes' python3) are
    children of its sshd session, so their time is in that process's cutime once
    they exit; only what dockerd's shims reparent to init is missed (nginx)."""
    found: dict[tuple[int, str], float] = {}
    for pids in lab_pids(labs).values():
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            found[(pid, fields[19])] = sum(int(v) for v in fields[11:15]) / TICK
    return found


@dataclass
class ByHand:
    """Lesson 1 done by hand on one lab: its cost with no tool around the commands."""

    lab_cpu: float  # CPU s of the lab's processes
    machine_cpu: float  # CPU s of the whole machine (the lab's containers' runc and shims too)
    wall: float


def by_hand(lab: Any, procs: list[LabProcs], image: str) -> dict[str, ByHand]:
    """Lesson 1 by hand on ``lab`` over its SSH connection, measured as a round is:
    "checked" is bench/lesson1.sh (the lesson's commands and equivalent checks in
    bash); "commands" is the lesson's five commands alone, one after another."""
    import shlex

    from hostnet.engine.loader import find_lesson
    from hostnet.engine.ssh import SSHTarget

    lesson = find_lesson("1", values={"image": image})
    commands = "\n".join([*(step.command for step in lesson.steps), "sleep 1"])  # --rm's removal
    checked = (Path(__file__).parent / "lesson1.sh").read_text()
    scripts = {
        "checked": f"bash -c {shlex.quote(checked)} lesson1 {shlex.quote(image)}",
        "commands": f"bash -c {shlex.quote(commands)} >/dev/null",
    }
    target = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
    found = {}
    try:
        target.run("true", timeout=30)  # the connection's own start is not the lesson's
        for name, script in scripts.items():
            before, (busy0, _) = lab_cpu(procs), cpu_busy_jiffies()
            res = target.run(script, timeout=120)
            after, (busy1, _) = lab_cpu(procs), cpu_busy_jiffies()
            if not res.ok:
                raise RuntimeError(
                    f"lesson 1 by hand ({name}) failed on {lab.name}: {res.output[-300:]}"
                )
            found[name] = ByHand(
                lab_cpu=sum(v - before.get(k, 0.0) for k, v in after.items()),
                machine_cpu=(busy1 - busy0) / TICK,  # /proc/stat counts every CPU's jiffies
                wall=res.duration,
            )
    finally:
        target.close()
    return found


def host_port_80_listening() -> bool:
    """Whether anything listens on TCP port 80 in this (the host's) network namespace."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[1].rsplit(":", 1)[1] == "0050" and parts[3] == "0A":
                return True
    return False


class Sampler(threading.Thread):
    """Peak memory per lab, and whether the host's port 80 was ever taken, while a round runs."""

    def __init__(self, labs: list[LabProcs]) -> None:
        super().__init__(name="workshop-sampler", daemon=True)
        self.labs = labs
        self.peak: dict[str, int] = {lab.name: 0 for lab in labs}
        self.port_80_taken = False
        self.bot_peak = status_kib("self", "VmRSS")  # KiB
        self.cpu = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while True:
            for name, kib in lab_memory(self.labs).items():
                self.peak[name] = max(self.peak[name], kib)
            self.port_80_taken |= host_port_80_listening()
            self.bot_peak = max(self.bot_peak, status_kib("self", "VmRSS"))
            self.cpu = time.thread_time()  # its own, not the bot's
            if self._halt.wait(SAMPLE_EVERY):
                return

    def stop(self) -> None:
        self._halt.set()
        self.join()


def netns_id(lab: Any) -> tuple[int, int] | None:
    """The id of a netns lab's network namespace (see hostprobe.namespace_id)."""
    from hostnet.engine import hostprobe

    return hostprobe.namespace_id(str(lab.netns))


def procs_of(labs: list[Any]) -> list[LabProcs]:
    return [LabProcs(lab.name, [lab.directory, lab.run_dir], netns_id(lab)) for lab in labs]
