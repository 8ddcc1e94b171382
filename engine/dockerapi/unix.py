"""The Engine API on a local unix socket, with the standard library only."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from typing import Any

from ..errors import EnvironmentProblem
from .model import (
    ContainerEvent,
    ContainerFile,
    demux,
    events_from_lines,
    file_from_tar,
    message,
    split_tag,
    timestamp,
)


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
            raise EnvironmentProblem(f"Docker engine: GET {url} answered {status}: {message(body)}")
        return json.loads(body)

    def ping(self) -> None:
        status, body = self._call("GET", "/_ping", timeout=5)
        if status != 200:
            raise EnvironmentProblem(
                f"Docker engine at unix://{self.path}: {status} {message(body)}"
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
            raise EnvironmentProblem(f"Docker engine: inspect {name}: {status} {message(body)}")
        return dict(json.loads(body))

    def container_logs(self, name: str, since: float) -> str | None:
        status, body = self._call(
            "GET", f"/containers/{_q(name)}/logs?stdout=1&stderr=1&since={since:.6f}"
        )
        if status == 404:
            return None
        if status != 200:
            raise EnvironmentProblem(f"Docker engine: logs of {name}: {status} {message(body)}")
        return demux(body).decode("utf-8", "replace")

    def container_file(self, name: str, path: str) -> ContainerFile:
        query = urllib.parse.urlencode({"path": path})
        status, body = self._call("GET", f"/containers/{_q(name)}/archive?{query}")
        if status == 200:
            return file_from_tar(name, path, body)
        if status in (400, 404):  # no such container, no such file, a bad path
            return ContainerFile(name, path, None, message(body))
        raise EnvironmentProblem(
            f"Docker engine: copy {path} from {name}: {status} {message(body)}"
        )

    def container_events(self, name: str, since: float, until: float) -> tuple[ContainerEvent, ...]:
        filters = json.dumps({"type": ["container"], "container": [name]})
        query = urllib.parse.urlencode(
            {"since": timestamp(since), "until": timestamp(until), "filters": filters}
        )
        status, body = self._call("GET", f"/events?{query}")
        if status != 200:
            raise EnvironmentProblem(f"Docker engine: events of {name}: {status} {message(body)}")
        return events_from_lines(body)

    def running_containers(self) -> list[dict[str, Any]]:
        found = []
        for summary in self._json("/containers/json"):
            attrs = self.inspect_container(str(summary["Id"]))
            if attrs is not None:  # (gone meanwhile)
                found.append(attrs)
        return found

    def networks(self) -> list[dict[str, Any]]:
        # The list leaves out the containers of each network; inspect gives them.
        return [dict(self._json(f"/networks/{_q(str(n['Id']))}")) for n in self._json("/networks")]

    def image_present(self, name: str) -> bool:
        status, body = self._call("GET", f"/images/{_q(name)}/json")
        if status in (200, 404):
            return status == 200
        raise EnvironmentProblem(f"Docker engine: image {name}: {status} {message(body)}")

    def pull_image(self, name: str) -> str | None:
        image, tag = split_tag(name)
        query = urllib.parse.urlencode({"fromImage": image, "tag": tag})
        status, body = self._call("POST", f"/images/create?{query}", timeout=600)
        if status != 200:
            return message(body)
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
