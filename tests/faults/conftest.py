"""Faults: engines, links, processes and disks that fail in the middle of a lesson.

Every test here ends with *nothing lost* (progress recorded before the fault
is intact, nothing recorded that did not happen) and *nothing left behind*:
:func:`_nothing_left_behind` (autouse) compares the machine before and after
each test, and :func:`fault_labs` checks that each lab it made is gone.

How long each fault takes to surface is recorded with :func:`timings` and
printed at the end of the run ("faults: time to surface").
"""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.env import require_netns_labs
from tests.support.faults import (
    FAULT_LESSON,
    LAB_PREFIX,
    TIMINGS,
    LabEngine,
    Running,
    children,
    fault_containers,
    lab_leftovers,
    mounts,
    processes_mentioning,
)


@pytest.fixture
def fault_lessons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lessons folder with the fault lesson as lesson 1 (HOSTNET_LESSONS_DIR, inherited)."""
    folder = tmp_path / "fault-lessons"
    folder.mkdir()
    (folder / "01-engine-fault.yaml").write_text(FAULT_LESSON)
    monkeypatch.setenv("HOSTNET_LESSONS_DIR", str(folder))
    return folder


@pytest.fixture
def timings(request: pytest.FixtureRequest) -> Callable[[str, float], None]:
    """``note(what, seconds)``: how long a fault took to surface (printed at the end)."""

    def note(what: str, seconds: float) -> None:
        TIMINGS.append((request.node.name, what, seconds))

    return note


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("faults: time to surface")
    for test, what, seconds in TIMINGS:
        terminalreporter.write_line(f"{seconds:7.2f} s  {what}  ({test})")


@pytest.fixture
def background() -> Iterator[Callable[..., Running]]:
    """Start ``hostnet`` in the background; whatever is still running is killed afterwards."""
    started: list[Running] = []

    def start(hostnet_bin: Path, *args: str, **env: str) -> Running:
        running = Running(hostnet_bin, *args, **env)
        started.append(running)
        return running

    yield start
    for running in started:
        running.kill()


@pytest.fixture
def fault_labs(
    tmp_path: Path, docker_client: object, standin_image: str
) -> Iterator[Callable[[], tuple[object, LabEngine]]]:
    """Disposable netns labs (see tests/conftest.py ``netns_labs``), each with a handle
    on its dockerd; afterwards every lab is down and nothing of it is left."""
    from hostnet.engine.labs import netns

    require_netns_labs()
    base = tmp_path / "labs"
    made: list[tuple[object, LabEngine]] = []

    def make() -> tuple[object, LabEngine]:
        name = f"{LAB_PREFIX}-{secrets.token_hex(2)}"
        lab = netns.up(name, image=standin_image, base=base)
        made.append((lab, LabEngine(lab)))
        return made[-1]

    yield make
    problems = []
    for lab, engine in made:
        # The link may still be cut and the engine stopped: down() copes with both.
        netns.down(lab.name, base=base)  # type: ignore[attr-defined]
        for proc in engine.restarted:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)  # killed by down(); reaped here
        problems += lab_leftovers(lab)
    assert not problems, f"labs left behind: {problems}"


@pytest.fixture(autouse=True)
def _nothing_left_behind(tmp_path: Path) -> Iterator[None]:
    """After each test: no process, mount or lesson container of the test remains.

    Autouse, so it is set up first and checked last, after the labs are down.
    """
    children_before, mounts_before = children(), mounts()
    before = fault_containers()
    yield
    deadline = time.monotonic() + 10  # a killed child may take a moment to be reaped
    while (left := children() - children_before) and time.monotonic() < deadline:
        time.sleep(0.1)
    problems = [f"child process {pid}" for pid in sorted(left)]
    # (Only this test's: other test sessions may run labs on this machine meanwhile.)
    new_mounts = sorted(mounts() - mounts_before)
    problems += [f"mount {m}" for m in new_mounts if m.startswith(str(tmp_path))]
    problems += [f"container {n}" for n in fault_containers() if n not in before]
    problems += [f"process {p}" for p in processes_mentioning(str(tmp_path))]
    assert not problems, f"left behind: {problems}"
