"""What checks ask of a Docker engine, behind one small interface.

Two implementations with the same answers: :class:`SdkDocker` (the docker SDK,
for the learner's own engine) and :class:`CliDocker` (the ``docker`` CLI run
through a target's command channel, so a lab's engine is reached over the
lab's one SSH connection and never confused with the local one).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
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


class SdkDocker:
    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client

    def version(self) -> str:
        return str(self.client.version().get("Version", "?"))

    def info(self) -> dict[str, Any]:
        return dict(self.client.info())

    def inspect_container(self, name: str) -> dict[str, Any] | None:
        from docker.errors import NotFound

        try:
            return dict(self.client.api.inspect_container(name))
        except NotFound:
            return None

    def container_logs(self, name: str, since: float) -> str | None:
        from docker.errors import NotFound

        try:
            raw = self.client.api.logs(name, since=since)
        except NotFound:
            return None
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    def image_present(self, name: str) -> bool:
        from docker.errors import ImageNotFound

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
            said = (res.stderr or res.stdout).strip()
            raise EnvironmentProblem(
                f"cannot reach the Docker engine of {self._where}: "
                f"{said.splitlines()[-1] if said else 'no answer'}",
                hint="is dockerd running there, and may this user use it (docker group)?",
            )
        return res.stdout.strip()

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
        raise EnvironmentProblem(
            f"docker on {self._where} failed ({what}): {res.output.strip() or f'exit {res.exit_code}'}"
        )
