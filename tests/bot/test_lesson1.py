"""Lesson 1, the real one, driven through Slack: on a netns lab over SSH (the host is
left alone) and on a ``local: true`` lab (the bot's own engine)."""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest

from hostnet.bot.testing.requests import CHANNEL
from hostnet.engine import hostprobe
from tests.support.lesson1 import check_results, walk_lesson_1

pytestmark = pytest.mark.docker


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
