"""Lab VMs booted with qemu on this Linux machine, through ``scripts/vm-lab.sh``.

The script is the one implementation (a workshop host runs it by hand); this
module only drives it, for ``docker hostnet lab up --vm`` and for tests:

* ``up`` boots the lab image (built once and cached under
  /var/cache/docker-hostnet/vm) with KVM where a Linux guest really runs with
  it, else with TCG, and waits until SSH and the VM's Docker engine answer.
* Each VM listens on a port of its own on 127.0.0.1 (qemu's user-mode
  network); its folder holds its disk overlay and an OpenSSH config with the
  host key pinned, which ``lab add --ssh-config`` and the bot's ``ssh_config:``
  take as they are.
* ``down`` stops qemu and deletes the folder: no process, port or disk is left.

The scripts ship inside the package (``hostnet/scripts``), so an installed
docker-hostnet finds them; ``HOSTNET_VM_SCRIPTS`` points at another copy.
"""

from __future__ import annotations

import enum
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import EnvironmentProblem
from .spec import LabSpec

SCRIPT = "vm-lab.sh"
NAME = re.compile(r"[a-z][a-z0-9-]{0,30}")  # what vm-lab.sh accepts
DEFAULT_DIR = Path("/var/lib/docker-hostnet/vms")
UP_TIMEOUT = 3600.0  # backstop only: the script bounds the build and the boot itself
QUICK_TIMEOUT = 120.0  # down, status, ssh-config

Progress = Callable[[str], None]


class VmState(enum.Enum):
    READY = "ready"  # SSH and the VM's Docker engine answer
    BOOTING = "booting"  # qemu runs, but SSH or the engine does not answer yet
    STOPPED = "stopped"  # its disk is kept; up() boots it again
    ABSENT = "absent"


# `scripts/vm-lab.sh status NAME` exit codes
_STATUS_EXIT = {0: VmState.READY, 3: VmState.BOOTING}


@dataclass(frozen=True)
class VmStatus:
    name: str
    state: VmState
    detail: str  # the script's line, e.g. "lab-01: ready (pid 42, tcg, 127.0.0.1:2222)"


@dataclass(frozen=True)
class VmLab:
    """One lab VM: reach it with ``ssh -F <ssh_config> <name>``."""

    name: str
    directory: Path
    ssh_config: Path
    port: int
    accel: str  # "kvm" or "tcg"

    def spec(self) -> LabSpec:
        """The lab as every front end opens it (``registry.add``, ``.open()``)."""
        return LabSpec(name=self.name, ssh_config=self.ssh_config, host=self.name)

    @property
    def pid(self) -> int | None:
        """qemu's pid while the VM runs."""
        try:
            return int((self.directory / "qemu.pid").read_text().strip())
        except (OSError, ValueError):
            return None


def scripts_dir() -> Path:
    """Where vm-lab.sh and its companions are: the package's copy, or HOSTNET_VM_SCRIPTS."""
    if explicit := os.environ.get("HOSTNET_VM_SCRIPTS"):
        return Path(explicit)
    # installed: site-packages/hostnet/engine/labs/vm.py → site-packages/hostnet/scripts;
    # in the repository: engine/labs/vm.py → scripts/
    return Path(__file__).resolve().parents[2] / "scripts"


def state_dir(base: Path | None = None) -> Path:
    """The folder of every VM's folder: ``base``, else HOSTNET_VM_DIR, else the default."""
    return base or Path(os.environ.get("HOSTNET_VM_DIR") or DEFAULT_DIR)


def find(name: str, *, base: Path | None = None) -> VmLab | None:
    """The VM's handle if it was made (running or not), else None."""
    if not NAME.fullmatch(name):
        return None
    directory = state_dir(base) / name
    config = directory / "ssh_config"
    try:
        port = int((directory / "port").read_text().strip())
        accel = (directory / "accel").read_text().strip()
    except (OSError, ValueError):
        return None
    if not config.is_file():
        return None
    return VmLab(name=name, directory=directory, ssh_config=config, port=port, accel=accel)


def up(
    name: str, *, wait: bool = True, progress: Progress | None = None, base: Path | None = None
) -> VmLab:
    """Boot the VM ``name`` (a new one, or the same disk again) and return its handle.

    With ``wait`` (the default) it returns once SSH and the VM's Docker engine
    answer; the image is built first if there is none yet (minutes, once).
    ``progress`` gets the script's progress lines as they come.
    """
    args = ["up", name] if wait else ["up", name, "--no-wait"]
    _run(args, base, timeout=UP_TIMEOUT, progress=progress)
    lab = find(name, base=base)
    if lab is None:
        raise EnvironmentProblem(f"VM {name}: {SCRIPT} up succeeded but left no ssh_config")
    return lab


def down(name: str, *, base: Path | None = None) -> bool:
    """Stop the VM and delete everything of it; False if there was no such VM."""
    existed = (state_dir(base) / name).exists()
    _run(["down", name], base, timeout=QUICK_TIMEOUT)
    return existed


def status(name: str, *, base: Path | None = None) -> VmStatus:
    """Ready, booting, stopped or absent (asks the VM itself over SSH)."""
    res = _script(["status", name], base, timeout=QUICK_TIMEOUT)
    detail = res.stdout.strip()
    if res.returncode in _STATUS_EXIT:
        return VmStatus(name, _STATUS_EXIT[res.returncode], detail)
    if res.returncode == 1:
        state = VmState.ABSENT if "no such VM" in detail else VmState.STOPPED
        return VmStatus(name, state, detail)
    raise _problem(["status", name], res)


def ssh_config(name: str, *, base: Path | None = None) -> str:
    """The VM's OpenSSH config (``vagrant ssh-config`` style, host key pinned)."""
    return _run(["ssh-config", name], base, timeout=QUICK_TIMEOUT).stdout


# ---------------------------------------------------------------- the script


def _script(
    args: list[str], base: Path | None, *, timeout: float, progress: Progress | None = None
) -> subprocess.CompletedProcess[str]:
    script = scripts_dir() / SCRIPT
    if not script.is_file():
        raise EnvironmentProblem(
            f"{script} is missing", hint="reinstall docker-hostnet, or set HOSTNET_VM_SCRIPTS"
        )
    env = {**os.environ, "HOSTNET_VM_DIR": str(state_dir(base))}
    try:
        proc = subprocess.Popen(
            ["bash", str(script), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not a half-made VM
        )
    except OSError as exc:
        raise EnvironmentProblem(f"cannot run {script}: {exc.strerror or exc}") from exc
    assert proc.stderr is not None and proc.stdout is not None
    errors: list[str] = []
    try:
        # stderr carries the progress lines (and the error); stdout is short.
        for line in proc.stderr:
            errors.append(line)
            if progress is not None and line.startswith("==> "):
                progress(line[4:].rstrip("\n"))
        out = proc.stdout.read()
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        raise EnvironmentProblem(f"{SCRIPT} {' '.join(args)} took over {timeout:.0f} s") from exc
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(errors))


def _run(
    args: list[str], base: Path | None, *, timeout: float, progress: Progress | None = None
) -> subprocess.CompletedProcess[str]:
    res = _script(args, base, timeout=timeout, progress=progress)
    if res.returncode != 0:
        raise _problem(args, res)
    return res


def _problem(args: list[str], res: subprocess.CompletedProcess[str]) -> EnvironmentProblem:
    """The script's own ``error:`` and ``hint:`` lines as one clear error."""
    error = re.search(r"^error: (.*)$", res.stderr, re.MULTILINE)
    hint = re.search(r"^hint: (.*)$", res.stderr, re.MULTILINE)
    if error is None:
        tail = res.stderr.strip().splitlines()[-1:] or [f"exit code {res.returncode}"]
        message = f"{SCRIPT} {' '.join(args)} failed: {tail[0]}"
    else:
        message = error.group(1)
    return EnvironmentProblem(message, hint=hint.group(1) if hint else None)
