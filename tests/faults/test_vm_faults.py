"""A lab VM that loses power in the middle of a step, then boots too slowly to
answer: a clear error naming the lab within 30 s, then "not ready" (never a failed
check); once it is up again the lesson resumes where it stopped, progress intact."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hostnet.engine.labs import registry, vm
from tests.support.cli import assert_clean_error
from tests.support.faults import container_name, integrity, steps_recorded
from tests.support.vm import on_vm

pytestmark = [pytest.mark.vm, pytest.mark.docker]


def test_vm_powered_off_mid_step_then_slow_to_boot_then_the_lesson_resumes(
    lab_vm,
    fault_lessons: Path,
    hostnet_bin: Path,
    background,
    timings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    base = lab_vm.directory.parent
    monkeypatch.setenv("HOSTNET_LABS_FILE", str(tmp_path / "labs.json"))
    registry.add(lab_vm.spec())
    progress = Path(os.environ["HOSTNET_PROGRESS_DB"])
    name = container_name()
    lab_args = ("--lab", lab_vm.name, "--var", f"container={name}")

    # 1. Power cut while `docker exec … sleep 30` runs in the VM.
    run = background(hostnet_bin, "lesson", "1", "--auto", *lab_args)
    run.wait_for(f"$ docker exec {name} sleep 30", timeout=300)
    time.sleep(0.5)
    assert lab_vm.pid is not None
    cut = time.monotonic()
    os.kill(lab_vm.pid, signal.SIGKILL)  # qemu gone: the plug is pulled
    res = run.finish(timeout=60)
    took = time.monotonic() - cut
    timings("lab VM powered off mid-step → exit 4", took)
    assert took < 30, took
    assert_clean_error(res, 4, f"lab {lab_vm.name}: lost the SSH connection while running")
    assert "[2/3] Wait inside it" in res.stdout and "[3/3]" not in res.stdout
    assert steps_recorded(progress, "engine-fault") == {"start": ("passed", 1)}
    assert vm.status(lab_vm.name, base=base).state is vm.VmState.STOPPED

    # 2. It boots again, and is too slow to answer (its qemu is held still):
    #    the lab is not ready. An error, not a failed check, and nothing recorded.
    booting = vm.up(lab_vm.name, wait=False, base=base)
    assert booting.port == lab_vm.port and booting.ssh_config == lab_vm.ssh_config
    assert booting.pid is not None
    os.kill(booting.pid, signal.SIGSTOP)
    try:
        asked = time.monotonic()
        slow = subprocess.run(
            [str(hostnet_bin), "lesson", "1", "--auto", *lab_args],
            env={**os.environ, "NO_COLOR": "1"},
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        timings("lab VM too slow to answer while booting → exit 4", time.monotonic() - asked)
        assert_clean_error(
            slow, 4, f"lab {lab_vm.name} (vagrant@127.0.0.1:{lab_vm.port}) is not ready"
        )
        assert "hint: a lab VM may still be booting" in slow.stderr
        assert "✗" not in slow.stdout  # no check was judged
        assert vm.status(lab_vm.name, base=base).state is vm.VmState.BOOTING
    finally:
        os.kill(booting.pid, signal.SIGCONT)
    assert steps_recorded(progress, "engine-fault") == {"start": ("passed", 1)}

    # 3. Up again: the lesson resumes at step 2 (step 1 replayed; the engine
    #    removed the `--rm` container when it started after the power cut).
    vm.up(lab_vm.name, base=base)
    assert on_vm(lab_vm, "docker ps -aq").strip() == ""
    resumed = subprocess.run(
        [str(hostnet_bin), "lesson", "1", *lab_args, "--var", "seconds=1"],
        input="\nr\nr\n",  # resume: yes; step 2: run it; step 3: run it
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "You finished 1 of 3 steps last time. Resume at step 2?" in resumed.stdout
    assert steps_recorded(progress, "engine-fault") == {
        "start": ("passed", 2),
        "wait": ("passed", 1),
        "stop": ("passed", 1),
    }
    assert integrity(progress) == "ok"
    assert on_vm(lab_vm, "docker ps -aq").strip() == ""
