"""Labs from the command line: make a netns lab, register it, run a lesson there by
name and by ssh URL, and remove it without a trace."""

from __future__ import annotations

import secrets
import shutil
from pathlib import Path

import pytest

from hostnet.engine import hostprobe
from tests.support.cli import hostnet

pytestmark = pytest.mark.docker


@pytest.fixture
def lab_env(tmp_path: Path, netns_labs) -> dict[str, str]:  # type: ignore[no-untyped-def]
    # netns_labs checks the prerequisites (root, sshd, nsenter) the same way.
    return {
        "HOSTNET_LAB_DIR": str(tmp_path / "labs"),
        "HOSTNET_LABS_FILE": str(tmp_path / "labs.json"),
        "HOME": str(tmp_path / "home"),  # ~/.ssh for the --target case
    }


def test_lab_up_lesson_by_name_and_by_url_then_down(
    hostnet_bin: Path, lab_env: dict[str, str], standin_image: str, clean_host: None, tmp_path: Path
) -> None:
    name = f"c-{secrets.token_hex(2)}"
    up = hostnet(hostnet_bin, "lab", "up", "--netns", name, "--image", standin_image, env=lab_env)
    assert up.returncode == 0, up.stderr
    lab_dir = Path(lab_env["HOSTNET_LAB_DIR"]) / name
    try:
        listed = hostnet(hostnet_bin, "lab", "list", env=lab_env)
        assert name in listed.stdout and "ssh_config" in listed.stdout

        res = hostnet(
            hostnet_bin,
            "lesson",
            "1",
            "--auto",
            "--lab",
            name,
            "--var",
            f"image={standin_image}",
            env=lab_env,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        assert f"(on {name})" in res.stdout and "Lesson passed" in res.stdout
        assert hostprobe.listeners(80) == []

        # By URL: keys from ~/.ssh, host key pinned in ~/.ssh/known_hosts.
        address = next(
            line.split()[1] for line in (lab_dir / "ssh_config").read_text().splitlines()
            if line.strip().startswith("HostName")
        )  # fmt: skip
        url = f"ssh://root@{address}:22"
        ssh_dir = Path(lab_env["HOME"]) / ".ssh"
        ssh_dir.mkdir(parents=True)
        shutil.copy(lab_dir / "ssh" / "id_ed25519", ssh_dir / "id_ed25519")
        (ssh_dir / "known_hosts").write_text("")
        refused = hostnet(hostnet_bin, "doctor", "--target", url, env=lab_env)
        assert refused.returncode == 4 and "not found in known_hosts" in refused.stderr
        assert "Traceback" not in refused.stderr
        shutil.copy(lab_dir / "ssh" / "known_hosts", ssh_dir / "known_hosts")
        res = hostnet(
            hostnet_bin,
            "lesson",
            "1",
            "--auto",
            "--target",
            url,
            "--var",
            f"image={standin_image}",
            env=lab_env,
        )
        assert res.returncode == 0, res.stdout + res.stderr

        unknown = hostnet(hostnet_bin, "lesson", "1", "--auto", "--lab", "nope", env=lab_env)
        assert unknown.returncode == 4 and "no lab named 'nope'" in unknown.stderr
    finally:
        down = hostnet(hostnet_bin, "lab", "down", name, env=lab_env)
    assert down.returncode == 0 and "removed" in down.stdout
    assert not lab_dir.exists()
    assert name not in hostnet(hostnet_bin, "lab", "list", env=lab_env).stdout
    again = hostnet(hostnet_bin, "lab", "down", name, env=lab_env)
    assert again.returncode == 0 and "nothing to do" in again.stdout


def test_lab_add_from_an_ssh_config_and_remove(hostnet_bin: Path, tmp_path: Path) -> None:
    env = {"HOSTNET_LABS_FILE": str(tmp_path / "labs.json")}
    config = tmp_path / "vagrant.ssh"
    config.write_text(
        "Host lab-01\n  HostName 127.0.0.1\n  Port 2222\n  User vagrant\n  StrictHostKeyChecking no\n"
    )
    added = hostnet(hostnet_bin, "lab", "add", "lab-01", "--ssh-config", str(config), env=env)
    assert added.returncode == 0, added.stderr
    assert "lab-01" in hostnet(hostnet_bin, "lab", "list", env=env).stdout
    bad = hostnet(hostnet_bin, "lab", "add", "x;touch", "--ssh-config", str(config), env=env)
    assert bad.returncode == 4 and "invalid lab name" in bad.stderr
    missing = hostnet(
        hostnet_bin, "lab", "add", "lab-02", "--ssh-config", str(tmp_path / "none"), env=env
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert hostnet(hostnet_bin, "lab", "remove", "lab-01", env=env).returncode == 0
    assert "No labs registered" in hostnet(hostnet_bin, "lab", "list", env=env).stdout
