"""`vagrant up` for real: the repository's Vagrantfile boots the local lab image
(`scripts/vm-lab.sh box`) with vagrant-libvirt, provisions it with
scripts/provision-lab.sh, and lesson 1 passes on it over `vagrant ssh-config`.

libvirtd, its bridges and the VM live in a network namespace the test makes
(tests/support/vagrant.py); vagrant and the lesson run in there too. The domain
type is `kvm` where a Linux guest boots with KVM here, else `qemu` (TCG).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import vagrant as support
from tests.support.env import REPO, unavailable
from tests.support.vm import VM_CACHE, missing_prerequisite

pytestmark = [pytest.mark.vm, pytest.mark.docker]
BOX = "hostnet/lab-test"


@pytest.fixture(scope="module")
def libvirt() -> Iterator[support.LibvirtNetns]:
    if reason := missing_prerequisite() or support.missing_prerequisite():
        unavailable(reason)
    ns = support.LibvirtNetns(box_volumes=BOX.replace("/", "-VAGRANTSLASH-"))
    try:
        ns.start()
        yield ns
    finally:
        ns.stop()
    assert ns.leftovers() == []


@pytest.fixture
def vagrant_home() -> Iterator[Path]:
    """VAGRANT_HOME where libvirt's qemu (user libvirt-qemu) can read the box's kernel:
    pytest's tmp_path is root's alone."""
    home = Path(tempfile.mkdtemp(prefix="hostnet-vagrant-", dir="/var/tmp"))
    home.chmod(0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_vagrant_up_boots_the_local_box_and_lesson_1_passes_there(
    libvirt: support.LibvirtNetns,
    vagrant_home: Path,
    tmp_path: Path,
    hostnet_bin: Path,
    standin_image: str,
) -> None:
    image = (VM_CACHE / "images" / "current").resolve()
    # KVM where a Linux guest boots with it here (scripts/vm-lib.sh probes with this kernel).
    accel = subprocess.run(
        ["bash", "-c", 'source scripts/vm-lib.sh && vm_accel "$1/vmlinuz" "$1/initrd.img"', "-", str(image)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
    ).stdout.strip()  # fmt: skip
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LAB_")},
        "VAGRANT_HOME": str(vagrant_home),
        "VAGRANT_DOTFILE_PATH": str(tmp_path / "vagrant-dot"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
        "LAB_BOX": BOX,
        "LAB_IMAGE": standin_image,
        "LAB_LIBVIRT_DRIVER": "kvm" if accel == "kvm" else "qemu",
        # A domain name of this run alone: one a killed run left defined cannot collide.
        "LAB_LIBVIRT_PREFIX": f"{libvirt.name}_",
    }

    def vagrant(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            libvirt.inside("vagrant", *args), cwd=REPO, env=env, capture_output=True,
            text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    box = subprocess.run(["bash", str(REPO / "scripts" / "vm-lab.sh"), "box"],
                         capture_output=True, text=True, timeout=600)  # fmt: skip
    assert box.returncode == 0 and box.stdout.strip() == str(image / "hostnet-lab.box"), box.stderr
    added = vagrant("box", "add", "--name", BOX, box.stdout.strip(), timeout=600)
    assert added.returncode == 0, added.stdout + added.stderr
    try:
        up = vagrant("up", "--provider=libvirt", timeout=900)
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr
        domain = "qemu" if env["LAB_LIBVIRT_DRIVER"] == "qemu" else "kvm"
        assert f"Domain type:       {domain}" in up.stdout
        # Provisioned by the Vagrantfile's own script, which found everything in place.
        assert "Docker and the lesson tools are installed" in up.stdout
        assert f"Image {standin_image} already present" in up.stdout

        inside = vagrant("ssh", "-c", "cat /proc/sys/kernel/random/boot_id; id -nG")
        assert inside.returncode == 0, inside.stderr
        boot_id, *groups = inside.stdout.split()
        assert boot_id != Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        assert "docker" in groups

        config = tmp_path / "lab-01.ssh"
        printed = vagrant("ssh-config", "lab-01")
        assert printed.returncode == 0, printed.stderr
        config.write_text(printed.stdout)
        labs = {"HOSTNET_LABS_FILE": str(tmp_path / "labs.json"), "NO_COLOR": "1"}
        for args in (
            ("lab", "add", "lab-01", "--ssh-config", str(config)),
            ("lesson", "1", "--auto", "--lab", "lab-01", "--var", f"image={standin_image}"),
        ):
            res = subprocess.run(
                libvirt.inside(str(hostnet_bin), *args), env={**os.environ, **labs},
                capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL,
            )  # fmt: skip
            assert res.returncode == 0, res.stdout + res.stderr
        assert "(on lab-01)" in res.stdout and "Lesson passed" in res.stdout
    finally:
        destroyed = vagrant("destroy", "-f", timeout=300)
        vagrant("box", "remove", BOX, "--force")
    assert destroyed.returncode == 0, destroyed.stderr
