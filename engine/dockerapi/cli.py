"""The ``docker`` CLI through a target's command channel (a lab's engine over its SSH)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from typing import Any

from ..commands import CommandResult
from ..errors import EnvironmentProblem
from .model import ContainerEvent, ContainerFile, events_from_lines, timestamp

Run = Callable[..., CommandResult]


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

    def container_file(self, name: str, path: str) -> ContainerFile:
        # `docker cp` writes a tar archive; tar unpacks it on the target, so only
        # the file's text crosses the command channel (which carries text). An
        # empty archive (docker cp failed) makes tar fail too.
        source = shlex.quote(f"{name}:{path}")
        res = self._run(f"docker cp {source} - | tar -xOf -", timeout=30)
        if res.ok:
            return ContainerFile(name, path, res.stdout)
        said = [line for line in res.stderr.splitlines() if not line.startswith("tar:")]
        if "cannot connect to the docker daemon" in res.output.lower():
            raise self._unreachable(res.output.strip())
        return ContainerFile(name, path, None, "\n".join(said).strip() or res.output.strip())

    def container_events(self, name: str, since: float, until: float) -> tuple[ContainerEvent, ...]:
        res = self._docker(
            "events",
            "--since", timestamp(since),
            "--until", timestamp(until),
            "--filter", "type=container",
            "--filter", f"container={name}",
            "--format", "{{json .}}",
        )  # fmt: skip
        if not res.ok:
            self._raise_unless_missing(res, "events")
        return events_from_lines(res.stdout)

    def running_containers(self) -> list[dict[str, Any]]:
        return self._inspect_all("container", "docker ps -q --no-trunc")

    def networks(self) -> list[dict[str, Any]]:
        return self._inspect_all("network", "docker network ls -q --no-trunc")

    def _inspect_all(self, kind: str, listing: str) -> list[dict[str, Any]]:
        """Inspect what ``listing`` names, in one command (one SSH channel on a lab);
        one gone between the two is left out (inspect then exits 1, the rest printed)."""
        res = self._run(
            f'ids=$({listing}) || exit; [ -z "$ids" ] && echo "[]" || docker {kind} inspect $ids',
            timeout=30,
        )
        if not res.ok and not res.stdout.startswith("["):
            self._raise_unless_missing(res, kind)
        try:
            return [dict(item) for item in json.loads(res.stdout or "[]")]
        except ValueError as exc:
            raise EnvironmentProblem(
                f"docker on {self._where} printed unreadable JSON ({kind} inspect): {exc}"
            ) from exc

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
