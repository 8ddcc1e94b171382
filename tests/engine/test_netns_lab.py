"""Network-namespace labs: real namespaces, a real dockerd and a real sshd.

Each test uses its own base directory and random lab names, and takes its
labs down however it ends. They need root, iproute2, util-linux (nsenter),
dockerd, OpenSSH's server and client; without them they skip locally and fail
in CI (scripts/test.sh installs everything).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hostnet.engine import hostprobe
from hostnet.engine.errors import EnvironmentProblem
from hostnet.engine.labs import netns
from hostnet.engine.labs.netns import NetnsLab, state
from tests.support.env import unavailable
from tests.support.netns import leftovers

MakeLab = Callable[..., NetnsLab]


@pytest.fixture(scope="module")
def lab_tools() -> None:
    """Everything a lab needs on this machine, or a skip (a failure in CI)."""
    if os.geteuid() != 0:
        unavailable("network-namespace labs need root")
    for tool in ("ip", "nsenter", "dockerd", "docker", "ssh", "ssh-keygen", "curl"):
        if shutil.which(tool) is None:
            unavailable(f"`{tool}` is not installed (needed for network-namespace labs)")
    if not os.access(netns.SSHD, os.X_OK):
        unavailable(f"{netns.SSHD} is missing: apt-get install openssh-server")


def _new_name() -> str:
    return f"t-{secrets.token_hex(2)}"


@pytest.fixture
def lab_base(tmp_path: Path) -> Path:
    return tmp_path / "labs"


@pytest.fixture
def make_lab(lab_tools: None, lab_base: Path) -> Iterator[MakeLab]:
    """Make labs under a temporary base directory; all of them go down afterwards."""
    names: list[str] = []

    def make(image: str | None = None) -> NetnsLab:
        name = _new_name()
        names.append(name)
        return netns.up(name, image=image, base=lab_base)

    yield make
    for name in names:
        netns.down(name, base=lab_base)


def ssh(lab: NetnsLab, command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in the lab with the OpenSSH client, as a learner would."""
    return subprocess.run(
        ["ssh", "-F", str(lab.ssh_config), lab.name, command],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.docker
def test_ssh_reaches_the_lab_and_its_own_engine(make_lab: MakeLab, tmp_path: Path) -> None:
    lab = make_lab()

    res = ssh(lab, "ip -4 addr show eth0")
    assert res.returncode == 0, res.stderr
    assert f"inet {lab.address}/" in res.stdout

    # `docker` in an SSH session talks to the lab's engine, not the host's.
    res = ssh(lab, "echo $DOCKER_HOST; docker info --format '{{.Name}} {{.DockerRootDir}}'")
    assert res.returncode == 0, res.stderr
    docker_host, info = res.stdout.splitlines()
    assert docker_host == lab.docker_host
    lab_root = info.split()[-1]
    host_root = subprocess.run(
        ["docker", "info", "--format", "{{.DockerRootDir}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert lab_root.startswith(f"{lab.directory}/")
    assert lab_root != host_root

    # The config pins the lab's generated host key ...
    effective = subprocess.run(
        ["ssh", "-G", "-F", str(lab.ssh_config), lab.name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    options = dict(line.split(" ", 1) for line in effective)
    assert options["hostname"] == lab.address
    assert options["user"] == "root"
    assert options["stricthostkeychecking"] == "true"
    known_hosts = Path(options["userknownhostsfile"].split()[0])
    host_key = (lab.directory / "ssh" / "ssh_host_ed25519_key.pub").read_text().split()[1]
    assert host_key in known_hosts.read_text()

    # ... and refuses a server whose key is not the pinned one.
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True
    )
    other_key = " ".join((tmp_path / "other.pub").read_text().split()[:2])
    (tmp_path / "wrong_known_hosts").write_text(f"{lab.address} {other_key}\n")
    res = subprocess.run(
        ["ssh", "-F", str(lab.ssh_config), "-o", f"UserKnownHostsFile={tmp_path / 'wrong_known_hosts'}", lab.name, "true"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode != 0
    assert "Host key verification failed" in res.stderr


@pytest.mark.docker
def test_a_host_network_container_in_the_lab_answers_on_the_lab_address_only(
    make_lab: MakeLab, standin_image: str, clean_host: None
) -> None:
    assert not hostprobe.listeners(80), "something listens on the host's port 80 already"
    lab = make_lab(image=standin_image)
    try:
        res = ssh(lab, f"docker run --rm -d --network host --name my_nginx {standin_image}")
        assert res.returncode == 0, res.stderr
        page = ""
        deadline = time.monotonic() + 15
        while "Welcome to nginx!" not in page and time.monotonic() < deadline:
            time.sleep(0.2)
            page = subprocess.run(
                ["curl", "-s", "-m", "3", f"http://{lab.address}:80/"],
                capture_output=True,
                text=True,
            ).stdout
        assert "Welcome to nginx!" in page
        # The container bound port 80 in the lab's namespace, not on the host.
        assert hostprobe.listeners(80) == []
    finally:
        ssh(lab, "docker rm -f my_nginx")


@pytest.mark.docker
def test_up_and_down_are_idempotent_and_down_leaves_nothing(
    lab_tools: None, lab_base: Path, standin_image: str
) -> None:
    name = _new_name()
    try:
        started = time.monotonic()
        lab = netns.up(name, base=lab_base)
        up_time = time.monotonic() - started
        assert ssh(lab, "true").returncode == 0

        started = time.monotonic()
        again = netns.up(name, base=lab_base)
        assert again == lab
        assert time.monotonic() - started < 2
        assert netns.get(name, base=lab_base) == lab
        assert netns.list_labs(lab_base) == [lab]

        # Something to clean up: a container with a shim, a mount and a port.
        netns.up(name, image=standin_image, base=lab_base)
        res = ssh(lab, f"docker run -d --network host --name my_nginx {standin_image}")
        assert res.returncode == 0, res.stderr

        started = time.monotonic()
        assert netns.down(name, base=lab_base) is True
        down_time = time.monotonic() - started
        assert leftovers(lab) == []
        assert netns.down(name, base=lab_base) is False
        assert netns.get(name, base=lab_base) is None

        assert up_time < 10, f"up took {up_time:.1f} s"
        assert down_time < 5, f"down took {down_time:.1f} s"
    finally:
        netns.down(name, base=lab_base)


@pytest.mark.docker
def test_a_half_up_lab_is_repaired(make_lab: MakeLab, lab_base: Path) -> None:
    lab = make_lab()
    sshd_pid = int((lab.directory / "sshd.pid").read_text())
    os.kill(sshd_pid, 9)
    assert ssh(lab, "true", timeout=30).returncode != 0

    again = netns.up(lab.name, base=lab_base)
    assert again.name == lab.name
    res = ssh(again, "docker info --format '{{.DockerRootDir}}'")
    assert res.returncode == 0, res.stderr


@pytest.mark.docker
def test_down_cleans_up_after_a_crashed_engine(
    make_lab: MakeLab, lab_base: Path, standin_image: str
) -> None:
    lab = make_lab(image=standin_image)
    res = ssh(lab, f"docker run -d --name sleeper {standin_image} sleep 600")
    assert res.returncode == 0, res.stderr
    # dockerd and its containerd die without cleaning up: mounts, a shim and
    # the container's processes stay behind.
    for proc in hostprobe.processes():
        argv = proc.argv
        if (
            argv
            and Path(argv[0]).name in ("dockerd", "containerd")
            and str(lab.run_dir) in str(argv)
        ):
            with contextlib.suppress(OSError):
                os.kill(proc.pid, signal.SIGKILL)
    assert [m for m in leftovers(lab) if m.startswith("mount")], "expected mounts left behind"

    assert netns.down(lab.name, base=lab_base) is True
    assert leftovers(lab) == []


@pytest.mark.docker
def test_a_name_in_use_by_another_base_is_refused(make_lab: MakeLab, tmp_path: Path) -> None:
    lab = make_lab()
    other_base = tmp_path / "other-labs"
    with pytest.raises(EnvironmentProblem, match=f"lab {lab.name}: a network namespace named"):
        netns.up(lab.name, base=other_base)
    assert not (other_base / lab.name).exists()
    assert netns.down(lab.name, base=other_base) is False
    assert ssh(lab, "true").returncode == 0  # untouched


def test_a_directory_that_is_not_a_lab_is_left_alone(lab_tools: None, tmp_path: Path) -> None:
    (tmp_path / "notalab").mkdir()
    (tmp_path / "notalab" / "precious.txt").write_text("keep me")
    for call in (netns.up, netns.down):
        with pytest.raises(EnvironmentProblem, match="is not a lab directory"):
            call("notalab", base=tmp_path)
    assert (tmp_path / "notalab" / "precious.txt").read_text() == "keep me"


@pytest.mark.docker
def test_two_labs_at_once_have_their_own_addresses(make_lab: MakeLab) -> None:
    first, second = make_lab(), make_lab()
    assert len({first.address, first.host_address, second.address, second.host_address}) == 4
    assert first.docker_host != second.docker_host
    for lab in (first, second):
        res = ssh(lab, "ip -4 -o addr show eth0; docker info --format '{{.DockerRootDir}}'")
        assert res.returncode == 0, res.stderr
        assert f"inet {lab.address}/" in res.stdout
        assert res.stdout.splitlines()[-1].startswith(f"{lab.directory}/")


@pytest.mark.docker
def test_a_dockerd_that_fails_to_start_is_reported_and_cleaned_up(
    lab_tools: None, lab_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "dockerd"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\necho 'failed to start daemon: pretend the engine is broken' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    name = _new_name()
    try:
        with pytest.raises(EnvironmentProblem) as caught:
            netns.up(name, base=lab_base)
        message = str(caught.value)
        assert message.startswith(f"lab {name}: dockerd exited with code 1")
        assert "pretend the engine is broken" in message
        assert not (lab_base / name).exists()
        assert not (netns.RUN_BASE / name).exists()
        assert not (netns.NETNS_DIR / name).exists()
    finally:
        netns.down(name, base=lab_base)


@pytest.mark.parametrize("name", ["", "Lab", "1lab", "lab_1", "a/b", "../etc", "x" * 16, "lab one"])
def test_invalid_names_are_refused(name: str, tmp_path: Path) -> None:
    for call in (
        lambda: netns.up(name, base=tmp_path),
        lambda: netns.down(name, base=tmp_path),
        lambda: netns.get(name, base=tmp_path),
    ):
        with pytest.raises(EnvironmentProblem, match="invalid name"):
            call()
    assert list(tmp_path.iterdir()) == []


def test_not_root_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(EnvironmentProblem, match="need root") as caught:
        netns.up("lab1", base=tmp_path)
    assert str(caught.value).startswith("lab lab1:")
    assert list(tmp_path.iterdir()) == []


def test_the_default_base_is_read_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HOSTNET_LAB_DIR set after import still counts (nothing reads it at import)."""
    lab = NetnsLab(
        name="lab1",
        directory=tmp_path / "first" / "lab1",
        address="10.213.7.2",
        host_address="10.213.7.1",
        ssh_port=22,
        ssh_config=tmp_path / "first" / "lab1" / "ssh_config",
        docker_host="unix:///run/docker-hostnet/labs/lab1/docker.sock",
    )
    lab.directory.mkdir(parents=True)
    state.write(lab)
    for base, found in ((tmp_path / "first", [lab]), (tmp_path / "second", [])):
        monkeypatch.setenv("HOSTNET_LAB_DIR", str(base))
        assert netns.default_base() == base
        assert netns.list_labs() == found
        assert netns.get("lab1") == (found[0] if found else None)
    assert lab.spec().describe() == f"{lab.ssh_config} (Host lab1)"
