"""Lesson 1, the real one, driven through Slack: on a netns lab over SSH (the host is
left alone) and on a ``local: true`` lab (the bot's own engine)."""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.loader import find_lesson
from tests.bot.conftest import ALICE, CHANNEL

pytestmark = pytest.mark.docker

STEPS = {  # step id: (in its output, one of its checks)
    "run": ("--name my_nginx", "✓ container my_nginx is running on the host network"),
    "curl": ("Welcome to nginx!", "✓ the command's stdout contains 'Welcome to nginx!'"),
    "interfaces": ("1: lo: <LOOPBACK", "✓ no interface added or removed since the lesson began"),
    "netstat": ("nginx", "✓ TCP port 80 is listening, owned by nginx"),
    "stop": ("\nmy_nginx", "✓ no container named my_nginx"),
}


def walk_lesson_1(bot, fake_slack, after_step=None) -> list[str]:  # type: ignore[no-untyped-def]
    """Start lesson 1 by slash command, click Run on every step; the result texts."""
    bot.slash(ALICE, "start 1")
    thread = bot.thread_of(ALICE)
    assert (
        "Lesson 1: Networking using the host network" in fake_slack.posts(top_level=True)[0].text()
    )
    results = []
    for number, step in enumerate(STEPS, start=1):
        message = bot.step_message(ALICE)
        assert f"Step {number} of 5" in message.text(), fake_slack.dump()
        result = bot.run_step(ALICE)
        assert result.args["thread_ts"] == thread
        results.append(result.text())
        assert f"✓ *Step {number} passed*" in result.text(), result.text()
        if after_step is not None:
            after_step(step)
    quiz = find_lesson("1").quiz  # the knowledge check, if the lesson has one
    for index, question in enumerate(quiz, start=1):
        message = fake_slack.last_with(f"hostnet.quiz.{question.answer}", thread)
        assert f"Knowledge check {index} of {len(quiz)}" in message.text()
        bot.click(ALICE, message, f"hostnet.quiz.{question.answer}")
    summary = fake_slack.posts(thread_ts=thread)[-1].text()
    assert "Lesson 1 done: Networking using the host network" in summary
    assert "Steps verified: 5 of 5" in summary
    if quiz:
        assert f"Knowledge check: {len(quiz)} of {len(quiz)} right" in summary
    assert "given back" in summary
    assert all(c.args.get("thread_ts") == thread for c in fake_slack.posts()[1:])
    return results


def check_results(results: list[str], container: str = "my_nginx") -> None:
    for text, (step, (output, check)) in zip(results, STEPS.items(), strict=True):
        output, check = output.replace("my_nginx", container), check.replace("my_nginx", container)
        assert output in text, f"{step}: {text}"
        assert check in text, f"{step}: {text}"
        assert "✗" not in text, f"{step}: {text}"


def test_lesson_1_on_a_netns_lab_over_ssh_leaves_the_host_untouched(
    make_bot, fake_slack, netns_labs, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    lab = netns_labs("bot")
    # A name of its own: other lessons may run on this host's engine meanwhile.
    container = f"bot_nginx_{secrets.token_hex(3)}"
    bot = make_bot(
        labs=[{"name": lab.name, "ssh_config": str(lab.ssh_config)}],
        variables={"image": standin_image, "container": container},
    )
    lab_netns = os.stat(lab.netns).st_ino

    def host_untouched(step: str) -> None:
        on_host = [c.name for c in docker_client.containers.list(all=True)]
        assert container not in on_host, f"{container} on the host's engine after {step}"
        res = subprocess.run(
            ["docker", "-H", lab.docker_host, "inspect", "-f", "{{.State.Pid}}", container],
            capture_output=True,
            text=True,
        )
        if step == "stop":
            assert res.returncode != 0  # gone from the lab too
            return
        pid = int(res.stdout)
        # nginx runs in the lab's network namespace, never in the host's: the
        # host's own port 80 is not its.
        assert os.stat(f"/proc/{pid}/ns/net").st_ino == lab_netns
        assert os.stat("/proc/self/ns/net").st_ino != lab_netns
        owners = {p["pid"] for sock in hostprobe.listeners(80) for p in sock["processes"]}
        assert pid not in owners

    results = walk_lesson_1(bot, fake_slack, after_step=host_untouched)
    check_results(results, container)
    assert all(f"passed* on {lab.name}" in text for text in results)
    assert bot.labs.opened == [lab.name]  # one connection for the whole lesson
    assert bot.bot.store.leases() == []


def test_lesson_1_on_a_local_lab(
    make_bot, fake_slack, standin_image: str, clean_host: None
) -> None:
    bot = make_bot(
        labs=[{"name": "lab-local", "local": True}],
        variables={"image": standin_image},
    )
    check_results(walk_lesson_1(bot, fake_slack))
    assert fake_slack.posts()[0].args["channel"] == CHANNEL
    assert bot.labs.commands()[-1] == "docker rm -f my_nginx >/dev/null 2>&1 || true"
