"""Shared fixtures. Docker-backed tests use the real engine and the real CLI.

Locally, a missing engine skips those tests with the reason; in CI
(``CI=true``) it fails them loudly: .ci/run installs and starts everything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
STANDIN_IMAGE = os.environ.get("HOSTNET_TEST_IMAGE", "hostnet/nginx-standin:latest")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LESSON_CONTAINERS = ("my_nginx",)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must provide it; never skipped in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(version="auto")
        client.ping()
    except DockerException as exc:
        _unavailable(f"no Docker engine reachable: {exc}")
    if shutil.which("docker") is None:
        _unavailable("the docker CLI is not on PATH")
    yield client
    client.close()


@pytest.fixture(scope="session")
def standin_image(docker_client: object) -> str:
    """The local nginx stand-in (no registry is reachable in CI)."""
    from docker.errors import ImageNotFound

    try:
        docker_client.images.get(STANDIN_IMAGE)  # type: ignore[attr-defined]
    except ImageNotFound:
        _unavailable(f"{STANDIN_IMAGE} is missing: run scripts/build-standin-image.sh")
    return STANDIN_IMAGE


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own progress database and Docker CLI config."""
    monkeypatch.setenv("HOSTNET_PROGRESS_DB", str(tmp_path / "progress.sqlite"))
    monkeypatch.delenv("HOSTNET_LESSONS_DIR", raising=False)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)


@pytest.fixture
def clean_host(docker_client: object) -> Iterator[None]:
    """The lesson's container must not exist before, and must not remain after."""
    from docker.errors import NotFound

    for name in LESSON_CONTAINERS:
        try:
            docker_client.containers.get(name)  # type: ignore[attr-defined]
            pytest.fail(f"container {name} exists before the test: remove it first")
        except NotFound:
            pass
    yield
    leftovers = []
    for name in LESSON_CONTAINERS:
        try:
            docker_client.containers.get(name).remove(force=True)  # type: ignore[attr-defined]
            leftovers.append(name)
        except NotFound:
            pass
    assert not leftovers, f"the test left containers behind: {leftovers}"


@pytest.fixture
def hostnet_bin() -> Path:
    """The installed console script of this environment (what users run)."""
    path = Path(sys.executable).parent / "hostnet"
    assert path.exists(), "install the package first (pip install '.[test]')"
    return path


@pytest.fixture
def docker_config(tmp_path: Path, hostnet_bin: Path) -> Path:
    """A temporary DOCKER_CONFIG with the plugin installed by `hostnet install`."""
    config = tmp_path / "docker-config"
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    subprocess.run([str(hostnet_bin), "install"], env=env, check=True, capture_output=True)
    return config


def offline_values(lesson_variables: object) -> dict[str, str]:
    """Offline values for a lesson's image variables: the local stand-in provides them all."""
    return {name: STANDIN_IMAGE for name in lesson_variables if "image" in name}  # type: ignore[attr-defined]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite the renderer golden files under tests/plugin/golden/ instead of comparing.",
    )


def require_netns_labs() -> None:
    """What netns labs need: root, iproute2, nsenter, ssh-keygen, dockerd, sshd."""
    from hostnet.engine.labs import netns

    for tool in ("ip", "nsenter", "ssh-keygen", "dockerd"):
        if shutil.which(tool) is None:
            _unavailable(f"{tool} is not installed")
    if not Path(netns.SSHD).exists():
        _unavailable("openssh-server is not installed (/usr/sbin/sshd)")
    if os.geteuid() != 0:
        _unavailable("netns labs need root")


@pytest.fixture
def netns_labs(tmp_path: Path, docker_client: object, standin_image: str) -> Iterator[object]:
    """A factory of disposable lab hosts (network namespace + dockerd + sshd), all
    removed afterwards. Needs root, iproute2, nsenter and openssh-server."""
    import secrets

    from hostnet.engine.labs import netns

    require_netns_labs()
    made: list[str] = []
    base = tmp_path / "labs"

    def make(prefix: str = "t") -> netns.NetnsLab:
        name = f"{prefix}-{secrets.token_hex(2)}"
        made.append(name)
        return netns.up(name, image=standin_image, base=base)

    yield make
    for name in made:
        netns.down(name, base=base)


@pytest.fixture(scope="session")
def _session_vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One lab VM for the whole run (booting one under TCG takes most of a minute)."""
    import secrets

    from hostnet.engine.labs import vm
    from tests.support.vm import leftovers, missing_prerequisite

    if reason := missing_prerequisite():
        _unavailable(reason)
    base = tmp_path_factory.mktemp("vms")
    name = f"t-{secrets.token_hex(2)}"
    try:
        lab = vm.up(name, base=base)
    except BaseException:
        vm.down(name, base=base)
        raise
    yield lab
    vm.down(name, base=base)
    assert not leftovers(lab), f"the VM left things behind: {leftovers(lab)}"


@pytest.fixture
def lab_vm(_session_vm: object) -> object:
    """The run's lab VM (scripts/vm-lab.sh), up and its engine ready. A test that
    powers it off must boot it again; this makes sure it is up for the next one."""
    from hostnet.engine.labs import vm

    lab: vm.VmLab = _session_vm  # type: ignore[assignment]
    if vm.status(lab.name, base=lab.directory.parent).state is not vm.VmState.READY:
        vm.up(lab.name, base=lab.directory.parent)
    return vm.find(lab.name, base=lab.directory.parent)
