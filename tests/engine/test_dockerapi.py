"""The DockerApi implementations give the same answers on the same engine (the Engine
API through a ``docker system dial-stdio`` stream, as labs are reached, included)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import docker
import pytest

from hostnet.engine.dockerapi import (
    CliDocker,
    ContainerEvent,
    ContainerFile,
    DockerApi,
    SdkDocker,
    SocketDocker,
)
from hostnet.engine.dockerapi.model import split_tag
from hostnet.engine.dockerapi.stream import DIAL, LabDocker, StreamDocker
from hostnet.engine.errors import EnvironmentProblem
from hostnet.engine.targets import LocalTarget
from tests.support.channels import Opener

pytestmark = pytest.mark.docker


@pytest.fixture(params=["socket", "sdk", "cli", "stream"])
def api(request: pytest.FixtureRequest, docker_client: object) -> Iterator[DockerApi]:
    if request.param == "socket":
        yield SocketDocker("/var/run/docker.sock")
    elif request.param == "sdk":
        yield SdkDocker(docker.from_env(version="auto"))
    elif request.param == "cli":
        yield CliDocker(LocalTarget().run, where="local")
    else:
        opener = Opener()
        yield StreamDocker(lambda: opener(DIAL))
        opener.close()


@pytest.fixture
def talker(docker_client, standin_image: str):  # type: ignore[no-untyped-def]
    container = docker_client.containers.run(
        standin_image, ["sh", "-c", "echo to-stdout; echo to-stderr >&2; sleep 60"],
        name="hostnet_api_test", detach=True,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while b"to-stderr" not in container.logs() and time.monotonic() < deadline:
        time.sleep(0.05)
    yield container
    container.remove(force=True)


def test_inspect_and_logs(api: DockerApi, talker) -> None:  # type: ignore[no-untyped-def]
    attrs = api.inspect_container("hostnet_api_test")
    assert attrs is not None and attrs["State"]["Status"] == "running"
    assert api.inspect_container("hostnet_no_such_container") is None
    logs = api.container_logs("hostnet_api_test", since=0)
    assert logs is not None and "to-stdout" in logs and "to-stderr" in logs
    assert api.container_logs("hostnet_api_test", since=time.time() + 5) == ""
    assert api.container_logs("hostnet_no_such_container", since=0) is None


def test_images_version_info(api: DockerApi, standin_image: str) -> None:
    assert api.image_present(standin_image)
    assert not api.image_present("hostnet/no-such-image:never")
    failure = api.pull_image("hostnet/no-such-image:never")
    assert failure  # no registry here, or no such image: a reason either way
    assert api.version() and api.info()["OSType"] == "linux"


def test_socket_to_nowhere_is_an_environment_problem() -> None:
    with pytest.raises(EnvironmentProblem):
        SocketDocker("/tmp/hostnet-no-such.sock").version()


@pytest.mark.parametrize(
    ("name", "split"),
    [
        ("nginx", ("nginx", "latest")),
        ("nginx:1.27", ("nginx", "1.27")),
        ("registry:5000/team/app", ("registry:5000/team/app", "latest")),
        ("registry:5000/team/app:v2", ("registry:5000/team/app", "v2")),
    ],
)
def test_split_tag(name: str, split: tuple[str, str]) -> None:
    assert split_tag(name) == split


def test_container_file(api: DockerApi, talker) -> None:  # type: ignore[no-untyped-def]
    hostname = api.container_file("hostnet_api_test", "/etc/hostname")
    assert hostname == ContainerFile("hostnet_api_test", "/etc/hostname", talker.id[:12] + "\n", "")
    resolv = api.container_file("hostnet_api_test", "/etc/resolv.conf")
    assert resolv.text is not None and "nameserver" in resolv.text
    missing = api.container_file("hostnet_api_test", "/no/such/file")
    assert missing.text is None and "/no/such/file" in missing.problem
    nobody = api.container_file("hostnet_no_such_container", "/etc/hostname")
    assert nobody.text is None and "no such container" in nobody.problem.lower()


def test_container_file_of_a_stopped_container_leaves_no_exec_behind(
    api: DockerApi, docker_client, standin_image: str
) -> None:  # type: ignore[no-untyped-def]
    since = time.time()
    container = docker_client.containers.run(
        standin_image, ["sh", "-c", "echo kept > /tmp/note; exit 3"],
        name="hostnet_api_exit", detach=True,
    )  # fmt: skip
    try:
        container.wait(timeout=30)
        assert api.container_file("hostnet_api_exit", "/tmp/note").text == "kept\n"
        events = _events_until(api, "hostnet_api_exit", since, lambda e: e.action == "die")
        die = [e for e in events if e.action == "die"]
        assert len(die) == 1 and die[0].exit_code == 3
        assert die[0].container_id == container.id and die[0].about("hostnet_api_exit")
        assert die[0].about(container.id[:12]) and not die[0].about("hostnet_api")
        assert since <= die[0].time <= time.time()
        assert not [e for e in events if e.exec_command is not None]  # reading made no exec
    finally:
        container.remove(force=True)


def test_container_events_record_docker_exec(api: DockerApi, talker) -> None:  # type: ignore[no-untyped-def]
    since = time.time()
    assert talker.exec_run(["sh", "-c", "exit 4"]).exit_code == 4
    events = _events_until(api, "hostnet_api_test", since, lambda e: e.action == "exec_die")
    started = [e for e in events if e.exec_command is not None]
    ended = [e for e in events if e.action == "exec_die"]
    assert [e.exec_command for e in started] == ["sh -c exit 4"]
    assert [(e.exec_id, e.exit_code) for e in ended] == [(started[0].exec_id, 4)]
    assert all(e.container_name == "hostnet_api_test" for e in events)
    assert (
        api.container_events("hostnet_api_test", since=time.time() + 5, until=time.time() + 5) == ()
    )


def _events_until(
    api: DockerApi, name: str, since: float, seen: Callable[[ContainerEvent], bool]
) -> tuple[ContainerEvent, ...]:
    """The events since ``since``, once one of them is ``seen`` (the engine records
    them a moment after the fact), within 10 s."""
    deadline = time.monotonic() + 10
    while True:
        events = api.container_events(name, since=since, until=time.time())
        if any(seen(e) for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def test_a_stream_that_ended_is_opened_again(docker_client: object) -> None:
    opener = Opener()
    try:
        api = StreamDocker(lambda: opener(DIAL))
        version = api.version()
        api.info()
        assert len(opener.opened) == 1  # keep-alive: one dial-stdio for both calls
        opener.opened[0].proc.kill()
        assert api.version() == version
        assert len(opener.opened) == 2
    finally:
        opener.close()


def test_a_lab_engine_without_the_stream_is_asked_with_the_cli(docker_client: object) -> None:
    opener = Opener(replace={DIAL: "echo 'unknown command: docker system dial-stdio' >&2; exit 1"})
    try:
        cli = CliDocker(LocalTarget().run, where="local")
        api = LabDocker(StreamDocker(lambda: opener(DIAL)), cli)
        assert api.version() == cli.version()
        assert api.inspect_container("hostnet_no_such_container") is None
        assert api.last_problem is not None
        assert api.path().startswith("the docker CLI, one process per call")
        working = LabDocker(StreamDocker(lambda: Opener()(DIAL)), cli)
        assert working.path().startswith("the Engine API over the SSH connection")
        working.close()
    finally:
        opener.close()
