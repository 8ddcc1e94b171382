"""Lesson 1 through the bot on a lab VM: the real bolt App, the fake Web API, the
VM's generated ssh_config as the lab's `ssh_config:`. After every step nginx
runs (or is gone) in the VM, never on this machine."""

from __future__ import annotations

import pytest

from hostnet.engine import hostprobe
from tests.support.lesson1 import check_results, walk_lesson_1
from tests.support.vm import on_vm

pytestmark = [pytest.mark.vm, pytest.mark.docker]


def test_lesson_1_on_a_vm_lab(
    make_bot, fake_slack, lab_vm, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    bot = make_bot(
        labs=[{"name": lab_vm.name, "ssh_config": str(lab_vm.ssh_config)}],
        variables={"image": standin_image},
    )
    host_containers = {c.id for c in docker_client.containers.list(all=True)}

    def vm_not_host(step: str) -> None:
        running = on_vm(lab_vm, "docker ps --filter name=^my_nginx$ --format '{{.Names}}'").split()
        vm_port_80 = on_vm(lab_vm, "ss -Htln 'sport = :80'")
        if step == "stop":
            assert running == [] and vm_port_80 == ""
        else:
            assert running == ["my_nginx"], step
            assert vm_port_80, f"nothing listens on the VM's port 80 after {step}"
        assert hostprobe.listeners(80) == [], f"this machine's port 80 is taken after {step}"
        now = {c.id for c in docker_client.containers.list(all=True)}
        assert now <= host_containers, f"a container appeared here after {step}"

    results = walk_lesson_1(bot, fake_slack, after_step=vm_not_host)
    check_results(results)
    assert all(f"passed* on {lab_vm.name}" in text for text in results)
    assert bot.labs.opened == [lab_vm.name]  # one SSH connection for the whole lesson
    assert bot.bot.store.leases() == []
