"""The lab's long-lived process: one python3 runs many commands, streams their
output, kills a command's whole process group at its deadline or when the step
stops waiting, answers facts as hostprobe does between commands, and hands back
to one session per command (one python3 per fact) when it cannot run.

Real processes throughout (the lab side runs here); only the channel is local
pipes instead of SSH (tests/support/channels.py)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.labprocess import COMMAND, LabProcess, Lost, Unavailable
from hostnet.engine.streams import Output
from tests.support.channels import Opener


@pytest.fixture
def opener() -> Iterator[Opener]:
    made = Opener()
    yield made
    made.close()


def run(server: LabProcess, script: str, timeout: float = 10, **kw):  # type: ignore[no-untyped-def]
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
    server = LabProcess(opener)
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
    server = LabProcess(opener)
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
    server = LabProcess(opener)

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
    server = LabProcess(opener)
    run(server, "true")
    with pytest.raises(Lost, match="process ended"):
        run(server, f"kill -9 {'$PPID'}; sleep 5")
    assert run(server, "echo back")[0].stdout == "back\n"
    assert len(opener.opened) == 2
    server.close()


def test_a_lab_that_stops_answering_ends_at_the_backstop() -> None:
    opener = Opener(
        replace={COMMAND: "printf 'r0\\n'; exec 3>&1 cat >/dev/null"}
    )  # ready, then silent
    server = LabProcess(opener)
    try:
        started = time.monotonic()
        res, ended = run(server, "true", timeout=0.5, backstop=0.5)
        assert ended is None and res.timed_out
        assert 1 <= time.monotonic() - started < 3
    finally:
        opener.close()


def test_a_lab_without_python3_runs_commands_the_old_way_and_is_told_why() -> None:
    opener = Opener(replace={COMMAND: "exec no-such-python3 -c pass"})
    server = LabProcess(opener)
    try:
        assert not server.ready()
        assert not server.ready()  # not tried again for each command
        with pytest.raises(Unavailable):
            run(server, "true")
        with pytest.raises(Unavailable, match="no python3"):
            server.ask("interfaces")  # the target asks a python3 of its own instead
        assert len(opener.opened) == 1
        assert server.paths()["commands"].startswith("one SSH session per command")
        assert server.paths()["facts"].startswith("one python3 per fact")
    finally:
        opener.close()


def test_a_command_from_another_thread_meanwhile_is_sent_the_other_way(opener: Opener) -> None:
    """One command at a time goes to the process; another thread's command is not kept
    waiting for it (the target gives that one a session of its own)."""
    server = LabProcess(opener)
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


# -- facts ------------------------------------------------------------------------------


def test_facts_as_hostprobe_answers_them_from_the_process_that_runs_the_commands(
    opener: Opener,
) -> None:
    server = LabProcess(opener)
    assert server.ask("interfaces") == hostprobe.collect("interfaces")
    assert run(server, "echo between")[0].stdout == "between\n"
    assert server.ask("resolv_conf") == hostprobe.collect("resolv_conf")
    mine = server.ask("namespaces", str(os.getpid()))
    assert mine == hostprobe.collect("namespaces", str(os.getpid()))
    assert abs(float(server.ask("now")) - time.time()) < 5
    assert len(opener.opened) == 1  # every question and command went to the one process
    assert server.paths() == {
        "facts": "one python3 process on the lab answers every fact",
        "commands": "one python3 process on the lab runs every command",
    }
    server.close()
    assert opener.opened[0].proc.wait(timeout=5) is not None  # and it ended with its channel


def test_a_question_hostprobe_cannot_answer_is_its_error_and_the_process_goes_on(
    opener: Opener,
) -> None:
    server = LabProcess(opener)
    with pytest.raises(ValueError, match="unknown fact 'nonsense'"):
        server.ask("nonsense")
    assert server.ask("interfaces") == hostprobe.collect("interfaces")
    assert run(server, "exit 4")[0].exit_code == 4
    assert len(opener.opened) == 1
    server.close()


def test_a_process_that_died_is_started_again_and_given_the_probe_again(opener: Opener) -> None:
    server = LabProcess(opener)
    server.ask("now")
    opener.opened[0].proc.kill()
    opener.opened[0].proc.wait()
    with pytest.raises(Unavailable):
        server.ask("interfaces")  # the caller asks the one-shot way this time
    assert server.ask("interfaces") == hostprobe.collect("interfaces")  # (a new process)
    assert len(opener.opened) == 2
    server.close()


def test_a_fact_meanwhile_waits_for_no_command(opener: Opener) -> None:
    """Another thread's command holds the process: a fact is not kept waiting for it
    (the target asks it the one-shot way), and the command is not disturbed."""
    server = LabProcess(opener)
    results: list[str] = []
    first = threading.Thread(
        target=lambda: results.append(run(server, "sleep 1; echo done")[0].stdout)
    )
    first.start()
    time.sleep(0.3)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="busy"):
        server.ask("interfaces")
    assert time.monotonic() - started < 0.5
    first.join()
    assert results == ["done\n"]
    assert server.ask("interfaces") == hostprobe.collect("interfaces")
    assert len(opener.opened) == 1
    server.close()


def test_facts_from_many_threads_each_get_their_own_answer(opener: Opener) -> None:
    """Facts wait for each other (milliseconds), never answer each other's question."""
    server = LabProcess(opener)
    kinds = ["interfaces", "resolv_conf"] * 8
    expected = {kind: hostprobe.collect(kind) for kind in set(kinds)}
    assert expected["interfaces"] != expected["resolv_conf"]
    answers: dict[int, object] = {}

    def ask(i: int) -> None:
        answers[i] = server.ask(kinds[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(kinds))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {i: expected[kind] for i, kind in enumerate(kinds)}
    assert len(opener.opened) == 1
    server.close()


def test_close_lets_the_command_under_way_finish(opener: Opener) -> None:
    """A target closed by one thread while another's command runs: the command ends
    as it would have, then the process goes."""
    server = LabProcess(opener)
    results: list[str] = []
    first = threading.Thread(
        target=lambda: results.append(run(server, "sleep 1; echo whole")[0].stdout)
    )
    first.start()
    time.sleep(0.3)
    server.close()
    first.join()
    assert results == ["whole\n"]
    assert opener.opened[0].proc.wait(timeout=5) is not None
