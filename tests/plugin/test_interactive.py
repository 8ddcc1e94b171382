"""The interactive lesson driven as a person would: in a pseudo-terminal, with the
learner's own commands typed in a second shell."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pexpect
import pytest

from hostnet.engine import hostprobe

pytestmark = pytest.mark.docker
PROMPT = r"\[q\]uit > "


def spawn(hostnet_bin: Path, image: str) -> pexpect.spawn:
    return pexpect.spawn(
        str(hostnet_bin),
        ["lesson", "1", "--var", f"image={image}"],
        env={**os.environ, "NO_COLOR": "1"},
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 160),
    )


def second_shell(command: str) -> None:
    """The learner's other terminal."""
    subprocess.run(["bash", "-c", command], check=True, capture_output=True, timeout=60)


def test_check_hint_quit_and_resume(
    hostnet_bin: Path, standin_image: str, clean_host: None, docker_client
) -> None:  # type: ignore[no-untyped-def]
    child = spawn(hostnet_bin, standin_image)
    child.expect("Key points")
    child.expect(r"\[1/5\] Start nginx on the host network")
    child.expect(PROMPT)
    child.sendline("x")
    child.expect(r"Please type one of: \[c\]heck")
    child.expect(PROMPT)
    second_shell(f"docker run --rm -d --network host --name my_nginx {standin_image}")
    child.sendline("c")
    child.expect("Step done")

    child.expect(r"\[2/5\]")
    child.expect(PROMPT)
    child.sendline("m")  # the live network map, at any step: nginx inside the host's box
    child.expect(r"╭─ Host local · network namespace")
    child.expect(r"╭─ my_nginx · host network")
    child.expect(r"the host's namespace, no address of its own")
    child.expect(r"tcp 0\.0\.0\.0:80")  # (bold: NO_COLOR keeps styles other than colour)
    child.expect(r"nginx \(pid \d+")  # (its workers too: "nginx (pid 12, 13, 14)")
    child.expect(PROMPT)
    child.sendline("c")  # checked without running curl: the log has no request
    child.expect("✗ the log of my_nginx")
    child.expect("hint +nginx logs every request")
    child.expect("Not yet")
    child.sendline("h")
    child.expect("Hint 1/1")
    second_shell("curl -s http://localhost:80/ >/dev/null")
    child.expect(PROMPT)
    child.sendline("c")
    child.expect("Step done")

    child.expect(r"\[3/5\]")
    child.expect(PROMPT)
    child.sendline("c")
    child.expect("How many network interfaces")
    child.sendline("1000")
    child.expect("you answered '1000'")
    child.expect(PROMPT)
    child.sendline("q")
    child.expect("Stopped after 2 of 5 steps")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert not docker_client.containers.list(all=True, filters={"name": "^my_nginx$"})

    # Resume: steps 1-2 are replayed, then step 3 is answered right; the rest run for us.
    child = spawn(hostnet_bin, standin_image)
    child.expect(r"Resume at step 3\?")
    child.sendline("")
    child.expect("Replaying steps 1-2")
    child.expect(r"\[3/5\]")
    child.expect(PROMPT)
    count = str(len(hostprobe.interfaces()))
    child.sendline("c")
    child.expect("How many network interfaces")
    child.sendline(count)
    child.expect("Step done")
    for _ in range(2):
        while child.expect([PROMPT, r"Your answer \(1-\d\) > "]) == 1:
            child.send("2")  # a step that asks for a prediction first (netstat's)
        child.sendline("r")
        child.expect("Step done")
    while True:  # the knowledge check, if the lesson has one
        index = child.expect([r"Your answer \(1-(\d)\) > ", "Lesson passed"])
        if index == 1:
            break
        child.sendline("1")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_ctrl_c_in_a_terminal_cleans_up_and_exits_130(
    hostnet_bin: Path, standin_image: str, clean_host: None, docker_client
) -> None:  # type: ignore[no-untyped-def]
    child = spawn(hostnet_bin, standin_image)
    child.expect(PROMPT)
    child.sendline("r")
    child.expect("Step done")
    child.expect(PROMPT)
    assert docker_client.containers.list(filters={"name": "^my_nginx$"})
    child.kill(signal.SIGINT)  # what the terminal sends on Ctrl-C
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert not docker_client.containers.list(all=True, filters={"name": "^my_nginx$"})
