"""What this machine records about its labs: ``lab.json``, the runtime
directory's ``owner`` file, and the lock that serialises lab operations."""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import EnvironmentProblem
from .layout import LOCK_FILE, NAME, NETNS_DIR, RUN_BASE, STATE_FILE, Layout, NetnsLab

STATE_FORMAT = 1
LOCK_TIMEOUT = 120.0


def read(directory: Path) -> NetnsLab | None:
    """The lab recorded in ``directory/lab.json``; None if absent or unreadable."""
    try:
        data = json.loads((directory / STATE_FILE).read_text())
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


def list_labs(base: Path) -> list[NetnsLab]:
    """Every lab recorded under ``base``, by name."""
    try:
        entries = sorted(Path(base).absolute().iterdir())
    except OSError:
        return []
    return [lab for entry in entries if NAME.fullmatch(entry.name) and (lab := read(entry))]


def write(lab: NetnsLab) -> None:
    state: dict[str, Any] = {
        "format": STATE_FORMAT,
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
    path = lab.directory / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(path)


def owns_run_dir(name: str, directory: Path) -> bool:
    try:
        return Layout(name, directory).owner.read_text().strip() == str(directory)
    except OSError:
        return False


def present(name: str, directory: Path) -> bool:
    """Whether anything of lab ``name`` in ``directory`` exists, to be removed.

    A directory that is neither empty nor has a lab.json is not a lab: it is
    refused rather than emptied (and the processes naming it killed).
    """
    if owns_run_dir(name, directory):
        return True
    if not directory.exists():
        return False
    if (directory / STATE_FILE).exists() or (directory.is_dir() and not any(directory.iterdir())):
        return True  # (empty: a crash right after mkdir, before lab.json)
    raise EnvironmentProblem(
        f"lab {name}: {directory} exists but is not a lab directory (it has no {STATE_FILE})",
        hint="choose another lab name or base directory; nothing was changed",
    )


def check_name_is_free(name: str, directory: Path) -> None:
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


def record(lab: NetnsLab) -> None:
    """Record a new lab before anything of it is made, so down() can always find it."""
    layout = Layout(lab.name, lab.directory)
    lab.directory.parent.mkdir(parents=True, exist_ok=True)
    lab.directory.mkdir(mode=0o700)
    write(lab)
    layout.run_dir.mkdir(parents=True, mode=0o700)
    layout.owner.write_text(f"{lab.directory}\n")


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
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
