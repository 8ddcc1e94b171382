"""Lesson 1 on a lab VM from the command line, the way a workshop host does it:
`scripts/vm-lab.sh ssh-config NAME > FILE`, `lab add NAME --ssh-config FILE`,
`lesson 1 --auto --lab NAME`; or `lab up --vm NAME` … `lab down NAME`. The VM's
engine runs nginx; this machine's port 80 and its containers are left alone."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.labs import vm
from tests.support.cli import hostnet
from tests.support.env import REPO
from tests.support.vm import leftovers, on_vm

pytestmark = [pytest.mark.vm, pytest.mark.docker]


def test_lesson_1_on_the_vm_through_the_cli(
    lab_vm, hostnet_bin: Path, tmp_path: Path, standin_image: str, docker_client
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / f"{lab_vm.name}.ssh"
    printed = subprocess.run(
        ["bash", str(REPO / "scripts" / "vm-lab.sh"), "ssh-config", lab_vm.name],
        env={**os.environ, "HOSTNET_VM_DIR": str(lab_vm.directory.parent)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    config.write_text(printed.stdout)
    env = {"HOSTNET_LABS_FILE": str(tmp_path / "labs.json")}
    added = hostnet(hostnet_bin, "lab", "add", lab_vm.name, "--ssh-config", str(config), env=env)
    assert added.returncode == 0, added.stderr
    doctor = hostnet(hostnet_bin, "doctor", "--lab", lab_vm.name, "--image", standin_image, env=env)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    host_containers = {c.id for c in docker_client.containers.list(all=True)}
    since = on_vm(lab_vm, "date +%s").strip()
    res = hostnet(hostnet_bin, "lesson", "1", "--auto", "--lab", lab_vm.name, "--var", f"image={standin_image}", env=env)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"(on {lab_vm.name})" in res.stdout and "Lesson passed" in res.stdout

    # It ran there: the VM's engine started and removed my_nginx on the host network.
    events = on_vm(
        lab_vm,
        f"docker events --since {since} --until $(date +%s) --filter container=my_nginx "
        "--format '{{.Action}}'",
    ).split()
    assert "start" in events and "destroy" in events, events
    assert on_vm(lab_vm, "docker ps -aq").strip() == ""
    # And not here: no listener on this machine's port 80, no new container.
    assert hostprobe.listeners(80) == []
    assert {c.id for c in docker_client.containers.list(all=True)} <= host_containers


def test_lab_up_vm_registers_it_and_lab_down_leaves_nothing(
    lab_vm, hostnet_bin: Path, tmp_path: Path, standin_image: str
) -> None:  # type: ignore[no-untyped-def]
    """`lab up --vm` on the run's VM (already up: it is adopted, not booted twice), a
    lesson by name, then `lab down`: no qemu, port, disk or registry entry left.
    (The run's VM is gone afterwards; a later test would boot it anew.)"""
    env = {
        "HOSTNET_LABS_FILE": str(tmp_path / "labs.json"),
        "HOSTNET_VM_DIR": str(lab_vm.directory.parent),
    }
    up = hostnet(hostnet_bin, "lab", "up", "--vm", lab_vm.name, env=env)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "VM " + lab_vm.name + " is already running" in up.stdout
    assert f"a VM ({lab_vm.accel}) on 127.0.0.1:{lab_vm.port}" in up.stdout
    listed = hostnet(hostnet_bin, "lab", "list", env=env)
    assert lab_vm.name in listed.stdout and str(lab_vm.ssh_config) in listed.stdout
    res = hostnet(hostnet_bin, "lesson", "1", "--auto", "--lab", lab_vm.name, "--var", f"image={standin_image}", env=env)  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr

    both = hostnet(hostnet_bin, "lab", "up", "--vm", "--netns", "x", env=env)
    assert both.returncode == 2 and "choose one: --vm or --netns" in both.stderr
    image = hostnet(hostnet_bin, "lab", "up", "--vm", "x", "--image", standin_image, env=env)
    assert image.returncode == 2 and "LAB_IMAGE=IMAGE scripts/vm-lab.sh build" in image.stderr

    down = hostnet(hostnet_bin, "lab", "down", lab_vm.name, env=env)
    assert down.returncode == 0 and f"Lab {lab_vm.name} removed." in down.stdout, down.stderr
    assert leftovers(lab_vm) == []
    assert vm.status(lab_vm.name, base=lab_vm.directory.parent).state is vm.VmState.ABSENT
    assert lab_vm.name not in hostnet(hostnet_bin, "lab", "list", env=env).stdout
    again = hostnet(hostnet_bin, "lab", "down", lab_vm.name, env=env)
    assert again.returncode == 0 and "nothing to do" in again.stdout
