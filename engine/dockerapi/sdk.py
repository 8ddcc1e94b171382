"""The docker SDK, for every endpoint but a local unix socket (tcp with TLS, ssh)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import EnvironmentProblem
from .model import ContainerEvent, ContainerFile, event_from_engine, file_from_tar, timestamp

if TYPE_CHECKING:
    import docker


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

    def container_file(self, name: str, path: str) -> ContainerFile:
        from docker.errors import APIError

        with self._errors(f"copy {path} from {name}"):
            try:
                chunks, _stat = self.client.api.get_archive(name, path)
                archive = b"".join(chunks)
            except APIError as exc:
                if exc.status_code not in (400, 404):
                    raise
                return ContainerFile(name, path, None, str(exc.explanation or exc))
        return file_from_tar(name, path, archive)

    def container_events(self, name: str, since: float, until: float) -> tuple[ContainerEvent, ...]:
        with self._errors(f"events of {name}"):
            stream = self.client.api.events(
                since=timestamp(since),
                until=timestamp(until),
                filters={"type": "container", "container": name},
                decode=True,
            )
            return tuple(event_from_engine(raw) for raw in stream if isinstance(raw, dict))

    def running_containers(self) -> list[dict[str, Any]]:
        from docker.errors import NotFound

        found = []
        with self._errors("list containers"):
            for summary in self.client.api.containers():
                try:
                    found.append(dict(self.client.api.inspect_container(summary["Id"])))
                except NotFound:
                    continue  # gone meanwhile
        return found

    def networks(self) -> list[dict[str, Any]]:
        with self._errors("list networks"):
            return [
                dict(self.client.api.inspect_network(n["Id"])) for n in self.client.api.networks()
            ]

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
