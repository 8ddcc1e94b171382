"""The long-lived command process: one python3 runs many commands, streams their
output, kills a command's whole process group at its deadline or when the step
stops waiting, and hands back to one session per command when it cannot run.

Real processes throughout (the lab side runs here); only the channel is local
pipes instead of SSH (tests/support/channels.py)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from hostnet.engine.runserver import COMMAND, CommandServer, Lost, Unavailable
from hostnet.engine.streams import Output
from tests.support.channels import Opener


@pytest.fixture
def opener() -> Iterator[Opener]:
    made = Opener()
    yield made
    made.close()


def run(server: CommandServer, script: str, timeout: float = 10, **kw):  # type: ignore[no-untyped-def]
    output = Output(script, kw.pop("on_output", None))
    ended = server.run(script, timeout, output, backstop=kw.pop("backstop", 10))
    code, timed_out = ended or (-1, True)
    return output.result(code, timed_out=timed_out), ended


def alive(marker: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return found.stdout.split()


def test_many_commands_in_one_process_with_streamed_output_and_exit_codes(
    opener: Opener,
) -> None:
    server = CommandServer(opener)
    assert server.ready()
    seen: list[tuple[float, str, str]] = []
    started = time.monotonic()
    res, _ = run(
        server,
        "echo one; sleep 1; echo two >&2; exit 3",
        on_output=lambda stream, text: seen.append((time.monotonic() - started, stream, text)),
    )
    assert (res.exit_code, res.timed_out) == (3, False)
    assert [(s, t) for _, s, t in seen] == [("stdout", "one\n"), ("stderr", "two\n")]
    assert seen[0][0] < 0.8 <= seen[1][0]  # streamed while it ran, not at the end
    assert run(server, "printf 'é%.0s' $(seq 40000)")[0].stdout == "é" * 40000  # many frames
    assert run(server, "echo $0 $-; pwd")[0].stdout == f"bash hBc\n{os.getcwd()}\n"
    killed, _ = run(server, "kill -9 $$")
    assert (killed.exit_code, killed.timed_out) == (137, False)  # a signal, as a shell says it
    assert len(opener.opened) == 1
    server.close()
    assert opener.opened[0].proc.wait(timeout=5) is not None  # it ends with its channel


def test_the_deadline_kills_the_whole_process_group(opener: Opener) -> None:
    server = CommandServer(opener)
    started = time.monotonic()
    res, _ = run(server, "sleep 303.1 & sleep 303.2; echo never", timeout=1)
    assert (res.exit_code, res.timed_out, res.stdout) == (124, True, "")
    assert 1 <= time.monotonic() - started < 3
    time.sleep(0.2)
    assert not alive("sleep 303")  # the background child too
    stubborn, _ = run(server, "trap '' TERM; echo up; sleep 303.3", timeout=0.5)
    assert (stubborn.exit_code, stubborn.timed_out, stubborn.stdout) == (137, True, "up\n")
    assert not alive("sleep 303")
    assert run(server, "echo after")[0].stdout == "after\n"  # and it serves the next one
    assert len(opener.opened) == 1
    server.close()


def test_a_step_that_stops_waiting_kills_its_command_there(opener: Opener) -> None:
    """Ctrl-C (or any error) while a command runs: the channel closes, and the lab
    side kills the command's group; the next command gets a new process."""
    server = CommandServer(opener)

    def interrupt(stream: str, text: str) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(server, "sleep 304.1 & echo started; sleep 304.2", on_output=interrupt)
    time.sleep(0.3)
    assert not alive("sleep 304")
    assert opener.opened[0].proc.wait(timeout=5) is not None
    assert run(server, "echo again")[0].stdout == "again\n"
    assert len(opener.opened) == 2
    server.close()


def test_a_process_that_died_mid_command_is_lost_and_the_next_command_starts_one(
    opener: Opener,
) -> None:
    server = CommandServer(opener)
    run(server, "true")
    with pytest.raises(Lost, match="command process ended"):
        run(server, f"kill -9 {'$PPID'}; sleep 5")
    assert run(server, "echo back")[0].stdout == "back\n"
    assert len(opener.opened) == 2
    server.close()


def test_a_lab_that_stops_answering_ends_at_the_backstop() -> None:
    opener = Opener(
        replace={COMMAND: "printf 'r0\\n'; exec 3>&1 cat >/dev/null"}
    )  # ready, then silent
    server = CommandServer(opener)
    try:
        started = time.monotonic()
        res, ended = run(server, "true", timeout=0.5, backstop=0.5)
        assert ended is None and res.timed_out
        assert 1 <= time.monotonic() - started < 3
    finally:
        opener.close()


def test_a_lab_without_python3_runs_commands_the_old_way_and_is_told_why() -> None:
    opener = Opener(replace={COMMAND: "exec no-such-python3 -c pass"})
    server = CommandServer(opener)
    try:
        assert not server.ready()
        assert not server.ready()  # not tried again for each command
        with pytest.raises(Unavailable):
            run(server, "true")
        assert len(opener.opened) == 1
        assert server.path().startswith("one SSH session per command")
    finally:
        opener.close()


def test_a_command_from_another_thread_meanwhile_is_sent_the_other_way(opener: Opener) -> None:
    """One command at a time goes to the process; another thread's command is not kept
    waiting for it (the target gives that one a session of its own)."""
    server = CommandServer(opener)
    assert server.ready()
    first = threading.Thread(target=run, args=(server, "sleep 1"))
    first.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert not server.ready()
    with pytest.raises(Unavailable, match="busy"):
        run(server, "true")
    assert time.monotonic() - started < 0.5
    first.join()
    assert server.ready() and run(server, "echo free")[0].stdout == "free\n"
    assert len(opener.opened) == 1
    server.close()
