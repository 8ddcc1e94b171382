"""Ctrl-C at the worst moment: while a step's command is being started.

Found by this directory's leftover check: `docker hostnet lesson 1 --auto`
interrupted right after a step began (tests/plugin/test_cli.py's Ctrl-C test,
through the docker CLI) left the step's `sleep 300` running about one time in
two. The KeyboardInterrupt was raised inside ``subprocess.Popen``, after the
fork, so nobody held the process to kill it, and it has a session of its own,
so the terminal's Ctrl-C never reaches it either.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
import types
from typing import Any

import pytest

from hostnet.engine import targets
from hostnet.engine.targets import LocalTarget
from tests.support.faults import processes_mentioning


@pytest.fixture
def ctrl_c_while_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command a target starts gets a SIGINT after its fork, before Popen returns it."""
    real_popen = subprocess.Popen

    class CtrlCWhileStarting(real_popen):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGINT)

    # Only the targets module sees it (the leftover checks start processes too).
    monkeypatch.setattr(
        targets,
        "subprocess",
        types.SimpleNamespace(**{**vars(subprocess), "Popen": CtrlCWhileStarting}),
    )


def a_command() -> str:
    return f"sleep 300.{secrets.randbelow(10**6):06d}"


def gone(command: str, timeout: float = 5) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := processes_mentioning(command)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_ctrl_c_while_the_command_starts_kills_it(ctrl_c_while_starting: None, timings) -> None:  # type: ignore[no-untyped-def]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    command = a_command()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        LocalTarget().run(command, timeout=30)
    timings(
        "Ctrl-C while a command starts → interrupted, command killed", time.monotonic() - started
    )
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    assert not gone(command), "the step's command outlived the Ctrl-C"


def test_ctrl_c_held_back_by_the_caller_stays_held(ctrl_c_while_starting: None) -> None:
    """Where Ctrl-C is held back already (the runner's cleanup), starting a command
    neither raises nor swallows it: the holder gets it, the command runs to its end."""
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    try:
        res = LocalTarget().run("echo done", timeout=30)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert res.ok and res.stdout == "done\n"
    assert held == [signal.SIGINT]
