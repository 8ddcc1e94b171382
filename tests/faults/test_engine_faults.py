"""A Docker engine that stops mid-step, an SSH link that is cut, a lab engine that
restarts between steps: a clear error in bounded time, never a traceback or a
hang; the lesson runs again once the engine is back, with its progress intact.

The local engine here is a netns lab's dockerd reached through DOCKER_HOST from
this machine (the host's own engine serves every other test and is never
stopped): the lesson's commands run on this machine, its container runs in the
lab's engine on a bridge network, and nothing binds this machine's port 80.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hostnet.engine import events as ev
from hostnet.engine.loader import find_lesson
from hostnet.engine.progress import ProgressStore
from hostnet.engine.session import LessonSession
from hostnet.engine.ssh import SSHTarget
from tests.support.cli import assert_clean_error, hostnet
from tests.support.faults import (
    container_name,
    integrity,
    lesson1_variant,
    steps_recorded,
)

pytestmark = pytest.mark.docker


def progress_db() -> Path:
    return Path(os.environ["HOSTNET_PROGRESS_DB"])


def register(lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """`hostnet lab add` for the netns lab (HOSTNET_LABS_FILE, inherited by the CLI)."""
    from hostnet.engine.labs import registry

    monkeypatch.setenv("HOSTNET_LABS_FILE", str(tmp_path / "labs.json"))
    registry.add(lab.spec())


# ------------------------------------------------------------------ dockerd stops


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["killed", "stopped"])
def test_local_engine_stops_mid_step_then_the_lesson_resumes(
    sig: signal.Signals,
    fault_labs,
    fault_lessons: Path,
    hostnet_bin: Path,
    background,
    timings,
) -> None:  # type: ignore[no-untyped-def]
    lab, engine = fault_labs()
    name = container_name()
    env = {"DOCKER_HOST": lab.docker_host}
    run = background(hostnet_bin, "lesson", "1", "--auto", "--var", f"container={name}", **env)
    run.wait_for(f"$ docker exec {name} sleep 30")
    time.sleep(0.5)  # the exec is under way in the container
    signalled = engine.stop(sig, wait=False)
    res = run.finish(timeout=60)
    timings(f"local dockerd {sig.name} mid-step → exit 4", time.monotonic() - signalled)

    assert_clean_error(res, 4, f"cannot reach the Docker engine at {lab.docker_host}", "hint:")
    assert "[2/3] Wait inside it" in res.stdout and "[3/3]" not in res.stdout
    # Nothing lost: step 1 stays passed; the interrupted step is not recorded at all.
    assert steps_recorded(progress_db(), "engine-fault") == {"start": ("passed", 1)}
    assert integrity(progress_db()) == "ok"

    # The engine comes back (same data, same flags): the lesson resumes at step 2.
    engine.start()
    assert engine.containers() == []  # `--rm`: the engine removed it on its way back up
    resumed = subprocess.run(
        [str(hostnet_bin), "lesson", "1", "--var", f"container={name}", "--var", "seconds=1"],
        input="\nr\nr\n",  # resume: yes; step 2: run it; step 3: run it
        env={**os.environ, "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "You finished 1 of 3 steps last time. Resume at step 2?" in resumed.stdout
    assert "Replaying steps 1-1" in resumed.stdout
    assert steps_recorded(progress_db(), "engine-fault") == {
        "start": ("passed", 2),  # once before the fault, once replayed
        "wait": ("passed", 1),
        "stop": ("passed", 1),
    }
    assert integrity(progress_db()) == "ok"
    assert engine.containers() == []  # nothing left behind in the engine either


def test_lab_engine_stops_mid_step_names_the_lab(
    fault_labs,
    fault_lessons: Path,
    hostnet_bin: Path,
    background,
    timings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    lab, engine = fault_labs()
    register(lab, tmp_path, monkeypatch)
    name = container_name()
    run = background(
        hostnet_bin, "lesson", "1", "--auto", "--lab", lab.name, "--var", f"container={name}"
    )
    run.wait_for(f"$ docker exec {name} sleep 30")
    time.sleep(0.5)
    signalled = engine.stop(signal.SIGKILL, wait=False)
    res = run.finish(timeout=60)
    timings("lab dockerd SIGKILL mid-step (over SSH) → exit 4", time.monotonic() - signalled)

    assert_clean_error(
        res,
        4,
        f"cannot reach the Docker engine of lab {lab.name}: Cannot connect to the Docker daemon",
        "hint: is dockerd running there",
    )
    assert steps_recorded(progress_db(), "engine-fault") == {"start": ("passed", 1)}

    engine.start()
    again = hostnet(hostnet_bin, "lesson", "1", "--auto", "--lab", lab.name,
                    "--var", f"container={name}", "--var", "seconds=1")  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert steps_recorded(progress_db(), "engine-fault") == {
        "start": ("passed", 2),
        "wait": ("passed", 1),
        "stop": ("passed", 1),
    }
    assert integrity(progress_db()) == "ok"
    assert engine.containers() == []


# ------------------------------------------------------------------ the link to a lab


def test_link_to_the_lab_cut_mid_step_is_an_error_in_bounded_time(
    fault_labs,
    hostnet_bin: Path,
    background,
    timings,
    standin_image: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # type: ignore[no-untyped-def]
    """The host's end of the lab's veth goes down while a step's command runs (and
    prints nothing): the SSH transport notices the dead link by itself."""
    from hostnet.engine import ssh

    lab, engine = fault_labs()
    register(lab, tmp_path, monkeypatch)
    lessons = lesson1_variant(
        tmp_path, "command: curl http://localhost:@{port}/", "command: sleep 120"
    )
    monkeypatch.setenv("HOSTNET_LESSONS_DIR", str(lessons))
    run = background(
        hostnet_bin, "lesson", "1", "--auto", "--lab", lab.name, "--var", f"image={standin_image}"
    )
    run.wait_for("$ sleep 120")
    cut = time.monotonic()
    link = lab.host_interface
    subprocess.run(["ip", "link", "set", link, "down"], check=True)
    try:
        res = run.finish(timeout=180)
    finally:
        subprocess.run(["ip", "link", "set", link, "up"], check=True)
    took = time.monotonic() - cut
    timings("veth to the lab cut mid-step → exit 4", took)

    assert_clean_error(res, 4, f"lab {lab.name}: lost the SSH connection while running `sleep 120`")
    # Bounded by the dead-link detection, not by the step's timeout (120 s) + backstop.
    assert took < ssh._KEEPALIVE + ssh._DEAD_AFTER + 15, took
    # The cleanup was attempted and said it could not reach the lab.
    assert f"cleanup could not run: lab {lab.name}: lost the SSH connection" in res.stdout
    assert "Its clean-up did not complete" in res.stdout  # and no claim that it did
    assert steps_recorded(progress_db(), "host-network") == {"run": ("passed", 1)}
    assert integrity(progress_db()) == "ok"

    # The link is back. The lab still runs what the lesson started (nothing could
    # remove it): the next run says so instead of colliding with it, reset removes
    # it, and then the lesson passes.
    assert engine.containers() == ["my_nginx"]
    args = ("--lab", lab.name, "--var", f"image={standin_image}")
    again = hostnet(hostnet_bin, "lesson", "1", "--auto", *args)
    assert_clean_error(again, 4, "needed: no container named my_nginx", "docker rm -f my_nginx")
    reset = hostnet(hostnet_bin, "reset", "1", "--yes", "--lab", lab.name)
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert engine.containers() == []
    monkeypatch.delenv("HOSTNET_LESSONS_DIR")  # lesson 1 itself
    passed = hostnet(hostnet_bin, "lesson", "1", "--auto", *args)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert engine.containers() == []


def test_lab_engine_restarted_between_steps(
    fault_labs, standin_image: str, tmp_path: Path, timings
) -> None:  # type: ignore[no-untyped-def]
    """A lab "reboot" of its engine between two steps, on one SSH connection: the
    next step fails with the evidence (nginx is gone), then the lesson passes again."""
    lab, engine = fault_labs()
    progress = ProgressStore(tmp_path / "rebooted.sqlite")
    lesson = find_lesson("1", values={"image": standin_image})
    target = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
    seen: list[ev.Event] = []
    try:
        session = LessonSession(lesson, target, emit=seen.append, progress=progress)
        with session.attempt():
            assert session.run_step(0).passed
            engine.stop(signal.SIGTERM)
            engine.start()
            started = time.monotonic()
            assert not session.run_step(1).passed
            timings(
                "lab dockerd restarted between steps → next step judged", time.monotonic() - started
            )
        failed = [e.result for e in seen if isinstance(e, ev.CheckEvaluated) and not e.result.ok]
        assert failed and failed[0].kind == "output"  # curl reached nothing
        assert any(r.kind == "logs" and r.observed == "no container my_nginx" for r in failed)
        # The same connection still works: the whole lesson passes on the lab again.
        assert LessonSession(lesson, target, progress=progress).run_all()
    finally:
        target.close()
    saved = progress.lesson("local", "host-network")
    assert saved["run"].attempts == 2 and saved["curl"].attempts == 2
    assert all(s.status == "passed" for s in saved.values())
    assert engine.containers() == []
