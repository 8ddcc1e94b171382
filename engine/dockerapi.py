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
"""

from __future__ import annotations

import http.client
import json
import shlex
import socket
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from .errors import EnvironmentProblem

if TYPE_CHECKING:
    import docker

    from .targets import CommandResult


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

    def image_present(self, name: str) -> bool: ...

    def pull_image(self, name: str) -> str | None:
        """Pull; None on success, else the reason it failed."""
        ...


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class SocketDocker:
    """The Engine API on a unix socket (``unix:///var/run/docker.sock``), stdlib only."""

    def __init__(self, path: str, *, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout

    def _call(self, method: str, url: str, *, timeout: float | None = None) -> tuple[int, bytes]:
        conn = _UnixConnection(self.path, timeout or self.timeout)
        try:
            conn.request(method, url, headers={"Host": "docker"})
            response = conn.getresponse()
            return response.status, response.read()
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot reach the Docker engine at unix://{self.path}: {exc}",
                hint="is dockerd still running?",
            ) from exc
        finally:
            conn.close()

    def _json(self, url: str) -> Any:
        status, body = self._call("GET", url)
        if status != 200:
            raise EnvironmentProblem(
                f"Docker engine: GET {url} answered {status}: {_message(body)}"
            )
        return json.loads(body)

    def ping(self) -> None:
        status, body = self._call("GET", "/_ping", timeout=5)
        if status != 200:
            raise EnvironmentProblem(
                f"Docker engine at unix://{self.path}: {status} {_message(body)}"
            )

    def version(self) -> str:
        return str(self._json("/version").get("Version", "?"))

    def info(self) -> dict[str, Any]:
        return dict(self._json("/info"))

    def inspect_container(self, name: str) -> dict[str, Any] | None:
        status, body = self._call("GET", f"/containers/{_q(name)}/json")
        if status == 404:
            return None
        if status != 200:
            raise EnvironmentProblem(f"Docker engine: inspect {name}: {status} {_message(body)}")
        return dict(json.loads(body))

    def container_logs(self, name: str, since: float) -> str | None:
        status, body = self._call(
            "GET", f"/containers/{_q(name)}/logs?stdout=1&stderr=1&since={since:.6f}"
        )
        if status == 404:
            return None
        if status != 200:
            raise EnvironmentProblem(f"Docker engine: logs of {name}: {status} {_message(body)}")
        return _demux(body).decode("utf-8", "replace")

    def image_present(self, name: str) -> bool:
        status, body = self._call("GET", f"/images/{_q(name)}/json")
        if status in (200, 404):
            return status == 200
        raise EnvironmentProblem(f"Docker engine: image {name}: {status} {_message(body)}")

    def pull_image(self, name: str) -> str | None:
        image, tag = _split_tag(name)
        query = urllib.parse.urlencode({"fromImage": image, "tag": tag})
        status, body = self._call("POST", f"/images/create?{query}", timeout=600)
        if status != 200:
            return _message(body)
        for line in body.splitlines():  # a progress stream; errors arrive inside it
            try:
                error = json.loads(line).get("error")
            except ValueError:
                continue
            if error:
                return str(error)
        return None


def _q(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("message", body.decode("utf-8", "replace")))
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace").strip()


def _split_tag(name: str) -> tuple[str, str]:
    """``nginx`` → (nginx, latest); ``host:5000/a/b:1.2`` → (host:5000/a/b, 1.2)."""
    if "@" in name:
        return name, ""
    repo, sep, tag = name.rpartition(":")
    if sep and "/" not in tag:
        return repo, tag
    return name, "latest"


def _demux(raw: bytes) -> bytes:
    """Logs of a container without a TTY come in frames: 8-byte header, then data."""
    if len(raw) < 8 or raw[0] not in (0, 1, 2) or raw[1:4] != b"\0\0\0":
        return raw  # a TTY container's logs are raw
    out, i = bytearray(), 0
    while i + 8 <= len(raw):
        size = int.from_bytes(raw[i + 4 : i + 8], "big")
        out += raw[i + 8 : i + 8 + size]
        i += 8 + size
    return bytes(out)


class SdkDocker:
    """The docker SDK; its errors become EnvironmentProblem like the others'."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client

    def close(self) -> None:
        self.client.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        from docker.errors import DockerException
        from requests.exceptions import RequestException

        try:
            yield
        except (DockerException, RequestException) as exc:
            raise EnvironmentProblem(
                f"Docker engine at {self.client.api.base_url}: {doing}: {str(exc).strip() or exc!r}",
                hint="is dockerd still running?",
            ) from exc

    def version(self) -> str:
        with self._errors("version"):
            return str(self.client.version().get("Version", "?"))

    def info(self) -> dict[str, Any]:
        with self._errors("info"):
            return dict(self.client.info())

    def inspect_container(self, name: str) -> dict[str, Any] | None:
        from docker.errors import NotFound

        with self._errors(f"inspect {name}"):
            try:
                return dict(self.client.api.inspect_container(name))
            except NotFound:
                return None

    def container_logs(self, name: str, since: float) -> str | None:
        from docker.errors import NotFound

        with self._errors(f"logs of {name}"):
            try:
                raw = self.client.api.logs(name, since=since if since > 0 else None)
            except NotFound:
                return None
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    def image_present(self, name: str) -> bool:
        from docker.errors import ImageNotFound

        with self._errors(f"image {name}"):
            try:
                self.client.images.get(name)
            except ImageNotFound:
                return False
        return True

    def pull_image(self, name: str) -> str | None:
        from docker.errors import DockerException

        try:
            self.client.images.pull(name)
        except DockerException as exc:
            return str(getattr(exc, "explanation", None) or exc or type(exc).__name__)
        return None


Run = Callable[..., "CommandResult"]


class CliDocker:
    """The same questions asked with the ``docker`` CLI through ``run(command, timeout=…)``."""

    def __init__(self, run: Run, where: str) -> None:
        self._run = run
        self._where = where

    def _docker(self, *args: str, timeout: float = 30) -> CommandResult:
        return self._run("docker " + " ".join(shlex.quote(a) for a in args), timeout=timeout)

    def version(self) -> str:
        res = self._docker("version", "--format", "{{.Server.Version}}")
        if not res.ok or not res.stdout.strip():
            raise self._unreachable((res.stderr or res.stdout).strip())
        return res.stdout.strip()

    def _unreachable(self, said: str) -> EnvironmentProblem:
        return EnvironmentProblem(
            f"cannot reach the Docker engine of {self._where}: "
            f"{said.splitlines()[-1] if said else 'no answer'}",
            hint="is dockerd running there, and may this user use it (docker group)?",
        )

    def info(self) -> dict[str, Any]:
        res = self._docker("info", "--format", "{{json .}}")
        if not res.ok:
            self.version()  # raises the clear "cannot reach" error
        return dict(json.loads(res.stdout))

    def inspect_container(self, name: str) -> dict[str, Any] | None:
        res = self._docker("container", "inspect", name)
        if res.ok:
            return dict(json.loads(res.stdout)[0])
        self._raise_unless_missing(res, "container")
        return None

    def container_logs(self, name: str, since: float) -> str | None:
        res = self._docker("logs", "--since", f"{since:.6f}", name)
        if res.ok:
            return res.output
        self._raise_unless_missing(res, "container")
        return None

    def image_present(self, name: str) -> bool:
        res = self._docker("image", "inspect", name)
        if res.ok:
            return True
        self._raise_unless_missing(res, "image")
        return False

    def pull_image(self, name: str) -> str | None:
        res = self._docker("pull", "--quiet", name, timeout=600)
        return None if res.ok else (res.stderr.strip() or res.stdout.strip() or "pull failed")

    def _raise_unless_missing(self, res: CommandResult, what: str) -> None:
        """A "No such container/image" answer is data; anything else is an error."""
        if "no such" in res.output.lower():
            return
        if "cannot connect to the docker daemon" in res.output.lower():
            raise self._unreachable(res.output.strip())  # the engine stopped meanwhile
        raise EnvironmentProblem(
            f"docker on {self._where} failed ({what}): {res.output.strip() or f'exit {res.exit_code}'}"
        )
