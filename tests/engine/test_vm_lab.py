"""Lab VMs (scripts/vm-lab.sh, driven by hostnet.engine.labs.vm): a real VM with a
kernel of its own, reached only through a port on 127.0.0.1 with its host key
pinned; VMs side by side get ports of their own; `down` leaves nothing; the image
is built once and then taken from its cache until its inputs change."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostnet.engine.errors import TargetError
from hostnet.engine.labs import vm
from hostnet.engine.ssh import SSHTarget
from tests.support.env import REPO, unavailable
from tests.support.vm import VM_CACHE, leftovers, listening, missing_prerequisite, on_vm

pytestmark = pytest.mark.vm


def script(*args: str, env: dict[str, str] | None = None, scripts: Path = REPO / "scripts"):  # type: ignore[no-untyped-def]
    return subprocess.run(
        ["bash", str(scripts / "vm-lab.sh"), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )


def test_the_vm_runs_a_kernel_of_its_own(lab_vm) -> None:  # type: ignore[no-untyped-def]
    boot_id, release, init = on_vm(
        lab_vm, "cat /proc/sys/kernel/random/boot_id; uname -r; cat /proc/1/comm"
    ).split()
    assert boot_id != Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert release != os.uname().release and release.endswith("-amd64")  # Debian's kernel
    assert init == "systemd"
    # The same machine through the project's own SSH target, as lessons see it.
    target = SSHTarget.open(lab_vm.name, ssh_config=lab_vm.ssh_config)
    try:
        res = target.run("cat /proc/sys/kernel/random/boot_id", timeout=30)
        assert res.ok and res.stdout.strip() == boot_id
        engine = target.run("docker info --format '{{.Name}} {{.KernelVersion}}'", timeout=60)
        assert engine.ok and engine.stdout.split() == ["hostnet-lab", release], engine.stderr
        # Checks compare the lab engine's timestamps with the lab's clock, not ours:
        # its reading falls between two of the lab's own `date`s. (The first now()
        # may start the lab's probe process, which takes most of a second under TCG,
        # so the bracket is the test, not a fixed tolerance.)
        before = float(target.run("date +%s.%N", timeout=30).stdout)
        now = target.now()
        after = float(target.run("date +%s.%N", timeout=30).stdout)
        assert before <= now <= after, (before, now, after)
    finally:
        target.close()
    assert vm.status(lab_vm.name, base=lab_vm.directory.parent).state is vm.VmState.READY


def test_ssh_is_forwarded_on_loopback_only_and_the_host_key_is_pinned(
    lab_vm, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    lines = listening(lab_vm.port)
    assert lines and all(f"127.0.0.1:{lab_vm.port}" in line for line in lines), lines
    config = script("ssh-config", lab_vm.name, env={"HOSTNET_VM_DIR": str(lab_vm.directory.parent)})
    assert config.returncode == 0, config.stderr
    assert config.stdout == lab_vm.ssh_config.read_text()
    for line in (f"Host {lab_vm.name}", "HostName 127.0.0.1", f"Port {lab_vm.port}",
                 "User vagrant", "StrictHostKeyChecking yes"):  # fmt: skip
        assert line in config.stdout
    # Another key for the same address: refused as a changed host key, no connection.
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")],
                   check=True)  # fmt: skip
    other = (tmp_path / "other.pub").read_text().split()[:2]
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{lab_vm.port} {' '.join(other)}\n")
    forged = tmp_path / "ssh_config"
    forged.write_text(
        config.stdout.replace(str(lab_vm.directory / "known_hosts"), str(tmp_path / "known_hosts"))
    )
    with pytest.raises(TargetError, match="host key has CHANGED"):
        SSHTarget.open(lab_vm.name, ssh_config=forged)


def test_vms_side_by_side_get_ports_of_their_own_and_down_leaves_nothing(
    tmp_path: Path,
) -> None:
    if reason := missing_prerequisite():
        unavailable(reason)
    base = tmp_path / "vms"
    made = []
    try:
        for name in ("side-a", "side-b"):  # booting only: down comes before they are up
            made.append(vm.up(name, wait=False, base=base))
        a, b = made
        assert a.port != b.port
        for lab in made:
            assert lab.pid is not None and Path(f"/proc/{lab.pid}").exists()
            assert all(f"127.0.0.1:{lab.port}" in line for line in listening(lab.port))
            assert (lab.directory / "disk.qcow2").is_file()
            assert vm.status(lab.name, base=base).state is vm.VmState.BOOTING
    finally:
        for lab in made:
            assert vm.down(lab.name, base=base) is True
    for lab in made:
        assert leftovers(lab) == []
        assert vm.status(lab.name, base=base).state is vm.VmState.ABSENT
    assert vm.down("side-a", base=base) is False  # nothing to do, and no error


def test_script_errors_are_one_line_with_a_hint(tmp_path: Path) -> None:
    env = {"HOSTNET_VM_DIR": str(tmp_path)}
    bad = script("up", "Bad_Name", env=env)
    assert bad.returncode == 2 and "error: invalid VM name 'Bad_Name'" in bad.stderr
    assert "hint: use a-z, 0-9 and -" in bad.stderr
    missing = script("ssh-config", "nope", env=env)
    assert missing.returncode == 1 and "error: no VM nope" in missing.stderr
    assert "hint: make it with:" in missing.stderr
    absent = script("status", "nope", env=env)
    assert absent.returncode == 1 and "nope: no such VM" in absent.stdout
    usage = script("frobnicate")
    assert usage.returncode == 2 and "unknown command: frobnicate" in usage.stderr


def test_the_image_comes_from_its_cache_until_its_inputs_change(
    tmp_path: Path, standin_image: str
) -> None:
    if reason := missing_prerequisite():
        unavailable(reason)
    current = (VM_CACHE / "images" / "current").resolve()
    disk = current / "disk.qcow2"
    before = disk.stat()
    built = script("build")  # what scripts/test.sh runs each time
    assert built.returncode == 0, built.stderr
    assert "is cached" in built.stderr and built.stdout.strip() == str(current)
    after = disk.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    def key(scripts: Path) -> str:
        res = subprocess.run(["bash", str(scripts / "build-vm-image.sh"), "--key"],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()

    assert key(REPO / "scripts") == current.name
    for changed in ("provision-lab.sh", "vm-image.packages"):
        copy = tmp_path / changed
        shutil.copytree(REPO / "scripts", copy)
        assert key(copy) == current.name  # the same inputs elsewhere: the same image
        with open(copy / changed, "a") as f:
            f.write("\n# changed\n")
        assert key(copy) != current.name, changed
