"""Shared fixtures. Docker-backed tests use the real engine and the real CLI.

Locally, a missing engine skips those tests with the reason; in CI
(``CI=true``) it fails them loudly: .ci/run installs and starts everything.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hostnet.bot.http import make_http_server
from hostnet.bot.testing.fakeslack import FakeSlack
from hostnet.bot.testing.harness import BotHarness, Labs, write_config
from tests.support.env import LESSON_CONTAINERS, STANDIN_IMAGE, require_netns_labs, unavailable
from tests.support.lessons import ECHO_LESSON


@pytest.fixture(scope="session")
def docker_client() -> Iterator[object]:
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(version="auto")
        client.ping()
    except DockerException as exc:
        unavailable(f"no Docker engine reachable: {exc}")
    if shutil.which("docker") is None:
        unavailable("the docker CLI is not on PATH")
    yield client
    client.close()


@pytest.fixture(scope="session")
def standin_image(docker_client: object) -> str:
    """The local nginx stand-in (no registry is reachable in CI)."""
    from docker.errors import ImageNotFound

    try:
        docker_client.images.get(STANDIN_IMAGE)  # type: ignore[attr-defined]
    except ImageNotFound:
        unavailable(f"{STANDIN_IMAGE} is missing: run scripts/build-standin-image.sh")
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


# A test that uses any of these needs Docker, root or a VM: it is marked `docker`
# whatever it forgot, so `pytest -m "not docker"` is the fast tier (no root).
_REAL = {"docker_client", "standin_image", "clean_host", "netns_labs", "lab_vm", "docker_config"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _REAL & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite the renderer golden files under tests/plugin/golden/ instead of comparing.",
    )


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
        unavailable(reason)
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


# ---------------------------------------------------------------------- the bot


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SLACK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def echo_lessons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """A lessons folder with the harmless echo lesson (``first`` = step 1's command,
    ``timeout`` its time limit when given)."""

    def make(first: str = "echo first @{word}", timeout: float | None = None) -> Path:
        folder = tmp_path / "lessons"
        folder.mkdir(exist_ok=True)
        command = first if timeout is None else f"{first}\n    timeout: {timeout:g}"
        (folder / "01-echo.yaml").write_text(ECHO_LESSON.replace("FIRST_COMMAND", command))
        monkeypatch.setenv("HOSTNET_LESSONS_DIR", str(folder))
        return folder

    return make


@pytest.fixture
def bot_database() -> str:
    """The bot's ``database:`` in make_bot (a module may run its tests on both backends
    with ``bot_database = on_both_backends``)."""
    return "bot.sqlite"


@pytest.fixture
def on_both_backends(database: Path | str) -> str:
    """``database:`` once as a SQLite file, once as a PostgreSQL database (a real server)."""
    return str(database)


@pytest.fixture
def make_bot(
    fake_slack: FakeSlack, tmp_path: Path, bot_database: str
) -> Iterator[Callable[..., BotHarness]]:
    made: list[BotHarness] = []

    def make(
        labs: list[dict[str, Any]] | None = None,
        *,
        target_factory: Labs | None = None,
        **settings: Any,
    ) -> BotHarness:
        settings.setdefault("database", bot_database)
        config = write_config(tmp_path, labs or [{"name": "lab-01", "local": True}], **settings)
        harness = BotHarness(fake_slack, config, target_factory or Labs())
        made.append(harness)
        return harness

    yield make
    try:
        for harness in made:  # the bot's state holds together after every test
            harness.settle()
            broken = harness.bot.violations(buttons=fake_slack.live_buttons)
            assert not broken, "bot state invariants broken:\n" + "\n".join(broken)
    finally:
        for harness in made:
            harness.close()


@pytest.fixture
def http_bot(make_bot, echo_lessons) -> Iterator[tuple[BotHarness, str]]:
    """The bot behind bolt's real WSGI adapter on 127.0.0.1 (HTTP mode)."""
    echo_lessons()
    bot = make_bot()
    server = make_http_server(bot.bot.app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield bot, f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------ PostgreSQL


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """The local PostgreSQL server's URL (scripts/ensure-postgres.sh starts it)."""
    from tests.support import postgres

    url = postgres.admin_url()
    if reason := postgres.unavailable_reason(url):
        unavailable(reason)
    return url


@pytest.fixture
def postgres_url(postgres_admin: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for this test, dropped afterwards."""
    from tests.support import postgres

    url = postgres.create_database(postgres_admin)
    yield url
    postgres.drop_database(postgres_admin, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where a store keeps its state, once per backend: a SQLite file, then a
    PostgreSQL database of this test's own (a real server)."""
    if request.param == "sqlite":
        return tmp_path / "state.sqlite"
    url: str = request.getfixturevalue("postgres_url")
    return url
