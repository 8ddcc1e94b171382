"""What checks ask of a Docker engine, behind one small interface.

Three implementations with the same answers:

* :class:`SocketDocker`: the Engine API over a local unix socket with the
  standard library (the common case: a lesson on the learner's own engine).
  Measured: importing the docker SDK (and requests) costs ~200 ms, more than
  all of lesson 1's checks; see bench/run.py.
* :class:`SdkDocker`: the docker SDK, for every other endpoint (tcp with TLS,
  ssh contexts) where its transports are worth their import.
* :class:`CliDocker`: the ``docker`` CLI run through a target's command
  channel, so a lab's engine is reached over the lab's one SSH connection and
  never confused with the local one.

Answers are typed (:mod:`.model`) where checks compare them; ``inspect`` and
``info`` stay the engine's own JSON, as ``docker inspect`` prints it.
"""

from __future__ import annotations

from typing import Any, Protocol

from .cli import CliDocker
from .model import Container, ContainerEvent, ContainerFile
from .sdk import SdkDocker
from .unix import SocketDocker


class DockerApi(Protocol):
    def version(self) -> str:
        """The engine's version; raises EnvironmentProblem when unreachable."""
        ...

    def info(self) -> dict[str, Any]:
        """``docker info`` (OperatingSystem, OSType, ServerVersion, …)."""
        ...

    def inspect_container(self, name: str) -> dict[str, Any] | None:
        """``docker container inspect``, or None when there is no such container."""
        ...

    def container_logs(self, name: str, since: float) -> str | None:
        """stdout and stderr written since ``since`` (epoch seconds); None: no container."""
        ...

    def container_file(self, name: str, path: str) -> ContainerFile:
        """A file of the container (running or stopped), copied out as ``docker cp``
        does: nothing runs in the container, so no ``exec`` event is left behind."""
        ...

    def container_events(self, name: str, since: float, until: float) -> tuple[ContainerEvent, ...]:
        """What the engine recorded about the container between ``since`` and ``until``
        (epoch seconds): starts, stops (``die`` with the exit code), ``docker exec``s."""
        ...

    def running_containers(self) -> list[dict[str, Any]]:
        """``docker container inspect`` of every running container (``docker ps``)."""
        ...

    def networks(self) -> list[dict[str, Any]]:
        """``docker network inspect`` of every network (bridge, host, none, user-defined)."""
        ...

    def image_present(self, name: str) -> bool: ...

    def pull_image(self, name: str) -> str | None:
        """Pull; None on success, else the reason it failed."""
        ...


def container(api: DockerApi, name: str) -> Container | None:
    """The container named ``name`` (or with that ID), typed; None when there is none."""
    raw = api.inspect_container(name)
    return None if raw is None else Container.from_inspect(raw)


__all__ = [
    "CliDocker",
    "Container",
    "ContainerEvent",
    "ContainerFile",
    "DockerApi",
    "SdkDocker",
    "SocketDocker",
]
