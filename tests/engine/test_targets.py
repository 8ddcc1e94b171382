"""The local target: real processes, real timeouts, real output streaming."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from hostnet.engine.errors import EnvironmentProblem
from hostnet.engine.targets import LocalTarget


def test_result_captures_both_streams_and_the_exit_code() -> None:
    res = LocalTarget().run("echo out; echo err >&2; exit 3", timeout=10)
    assert (res.stdout, res.stderr, res.exit_code, res.timed_out) == ("out\n", "err\n", 3, False)
    assert not res.ok


def test_output_streams_while_the_command_runs() -> None:
    seen: list[tuple[float, str, str]] = []
    started = time.monotonic()
    LocalTarget().run(
        "echo first; sleep 1; echo second",
        timeout=10,
        on_output=lambda stream, text: seen.append((time.monotonic() - started, stream, text)),
    )
    assert [text for _, _, text in seen] == ["first\n", "second\n"]
    assert seen[0][0] < 0.8 <= seen[1][0]


def test_a_hanging_command_and_its_children_are_killed_at_the_timeout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pidfile = tmp_path / "child.pid"
    started = time.monotonic()
    res = LocalTarget().run(f"sleep 300 & echo $! > {pidfile}; wait", timeout=1)
    assert res.timed_out and not res.ok
    assert time.monotonic() - started < 6
    child = pidfile.read_text().strip()
    time.sleep(0.2)
    assert _gone_or_zombie(child)


def test_a_command_that_ignores_sigterm_is_killed_anyway() -> None:
    started = time.monotonic()
    res = LocalTarget().run("trap '' TERM; sleep 300", timeout=0.5)
    assert res.timed_out
    assert time.monotonic() - started < 6


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("sudo") is not None, reason="needs root without sudo"
)
def test_sudo_works_for_root_without_sudo_installed() -> None:
    res = LocalTarget().run("sudo id -u", timeout=10)
    assert (res.exit_code, res.stdout) == (0, "0\n")


def test_docker_flags_reach_the_commands_it_runs() -> None:
    target = LocalTarget(docker_host="unix:///tmp/nowhere.sock")
    assert target.run("echo $DOCKER_HOST", timeout=5).stdout == "unix:///tmp/nowhere.sock\n"
    target = LocalTarget(context="lab")
    assert target.run("echo $DOCKER_CONTEXT", timeout=5).stdout == "lab\n"


def test_an_unreachable_engine_is_an_environment_problem_not_a_traceback() -> None:
    with pytest.raises(EnvironmentProblem) as info:
        LocalTarget(docker_host="unix:///tmp/hostnet-no-such-engine.sock").docker()
    assert "cannot reach the Docker engine at unix:///tmp/hostnet-no-such-engine.sock" in str(
        info.value
    )


def _gone_or_zombie(pid: str) -> bool:
    """Killed: either reaped already, or a zombie waiting for init to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
