"""The three DockerApi implementations give the same answers on the same engine."""

from __future__ import annotations

import time

import docker
import pytest

from hostnet.engine.dockerapi import CliDocker, DockerApi, SdkDocker, SocketDocker
from hostnet.engine.dockerapi.model import split_tag
from hostnet.engine.errors import EnvironmentProblem
from hostnet.engine.targets import LocalTarget

pytestmark = pytest.mark.docker


@pytest.fixture(params=["socket", "sdk", "cli"])
def api(request: pytest.FixtureRequest, docker_client: object) -> DockerApi:
    if request.param == "socket":
        return SocketDocker("/var/run/docker.sock")
    if request.param == "sdk":
        return SdkDocker(docker.from_env(version="auto"))
    return CliDocker(LocalTarget().run, where="local")


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
