"""A lab's Engine API over its SSH connection, as the docker CLI reaches ``ssh://`` hosts.

``docker system dial-stdio`` on the lab connects its stdin and stdout to the
lab's engine socket; one such channel on the lab's one SSH connection carries
every Engine API call of a lesson, HTTP/1.1 with keep-alive. Before it, every
docker check started the lab's docker CLI (16 to 19 ms of the lab's CPU each).

When the channel cannot be had or breaks (no docker CLI with dial-stdio there,
the engine stopped, a lost connection), that call is asked of the docker CLI
instead (:class:`~.cli.CliDocker`): its answers and its errors are the ones a
lab always gave, and the next call tries the channel again.

The channel factory is the target's (``open_stream(command)``): this module
knows nothing of SSH.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Callable
from typing import Any

from ..channels import Channel
from .cli import CliDocker
from .model import ContainerEvent, ContainerFile
from .unix import SocketDocker

DIAL = "docker system dial-stdio"


class Broken(Exception):
    """The stream to the engine could not be opened or broke: ask the CLI instead."""


class _StreamConnection(http.client.HTTPConnection):
    def __init__(self, open_stream: Callable[[], Channel], timeout: float) -> None:
        super().__init__("docker", timeout=timeout)
        self._open_stream = open_stream

    def connect(self) -> None:
        self.sock = self._open_stream()
        self.sock.settimeout(self.timeout)


class StreamDocker(SocketDocker):
    """The Engine API through one long-lived stream (``docker system dial-stdio``)."""

    def __init__(self, open_stream: Callable[[], Channel], *, timeout: float = 30.0) -> None:
        super().__init__(DIAL, timeout=timeout)
        self._connection = _StreamConnection(open_stream, timeout)
        self._lock = threading.Lock()  # one request at a time on the one stream

    def _call(self, method: str, url: str, *, timeout: float | None = None) -> tuple[int, bytes]:
        with self._lock:
            for attempt in (1, 2):  # a stream the engine closed meanwhile: open a new one
                conn = self._connection
                try:
                    if conn.sock is not None:
                        conn.sock.settimeout(timeout or self.timeout)
                    conn.timeout = timeout or self.timeout
                    conn.request(method, url, headers={"Host": "docker"})
                    response = conn.getresponse()
                    body = response.read()
                    return response.status, body
                except Exception as exc:  # paramiko, http.client and socket errors alike
                    with contextlib.suppress(Exception):  # (a broken stream may fail to close)
                        conn.close()
                    if attempt == 2:
                        raise Broken(f"{type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")

    def ping(self) -> None:
        status, _ = self._call("GET", "/_ping", timeout=5)
        if status != 200:
            raise Broken(f"GET /_ping answered {status}")

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class LabDocker:
    """A lab's engine: the stream while it works, else the docker CLI, call by call."""

    def __init__(self, stream: StreamDocker, cli: CliDocker) -> None:
        self._stream = stream
        self._cli = cli
        self.last_problem: str | None = None  # why the latest call went to the CLI

    def path(self) -> str:
        """Which way the engine is reached now (``doctor --lab`` shows it)."""
        try:
            self._stream.ping()
        except Broken as exc:
            self.last_problem = str(exc)
            return f"the docker CLI, one process per call ({DIAL} failed: {exc})"
        return f"the Engine API over the SSH connection ({DIAL}, one process for the lesson)"

    def _ask(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._stream, name)(*args)
        except Broken as exc:
            self.last_problem = str(exc)
            return getattr(self._cli, name)(*args)

    def version(self) -> str:
        return str(self._ask("version"))

    def info(self) -> dict[str, Any]:
        return dict(self._ask("info"))

    def inspect_container(self, name: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._ask("inspect_container", name)
        return found

    def container_logs(self, name: str, since: float) -> str | None:
        logs: str | None = self._ask("container_logs", name, since)
        return logs

    def container_file(self, name: str, path: str) -> ContainerFile:
        file: ContainerFile = self._ask("container_file", name, path)
        return file

    def container_events(self, name: str, since: float, until: float) -> tuple[ContainerEvent, ...]:
        return tuple(self._ask("container_events", name, since, until))

    def running_containers(self) -> list[dict[str, Any]]:
        return list(self._ask("running_containers"))

    def networks(self) -> list[dict[str, Any]]:
        return list(self._ask("networks"))

    def image_present(self, name: str) -> bool:
        return bool(self._ask("image_present", name))

    def pull_image(self, name: str) -> str | None:
        said: str | None = self._ask("pull_image", name)
        return said

    def close(self) -> None:
        self._stream.close()
