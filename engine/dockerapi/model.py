"""The typed answers of :class:`~hostnet.engine.dockerapi.DockerApi`, and the one
place each implementation's raw answer (the Engine API's JSON, a tar archive)
becomes them."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_EXEC_START = "exec_start: "


@dataclass(frozen=True)
class ContainerEvent:
    """One event the engine recorded about a container (``docker events``)."""

    action: str  # die, start, exec_die, "exec_start: nslookup docs.docker.com", …
    container_id: str
    container_name: str
    time: float  # epoch seconds
    attributes: Mapping[str, str] = field(default_factory=dict)

    def about(self, container: str) -> bool:
        """The event concerns ``container`` (its name, its ID, or an ID prefix of 12+)."""
        return container in (self.container_name, self.container_id) or (
            len(container) >= 12 and self.container_id.startswith(container)
        )

    @property
    def exec_command(self) -> str | None:
        """For ``exec_start``: the command line of the ``docker exec``."""
        if self.action.startswith(_EXEC_START):
            return self.action[len(_EXEC_START) :]
        return None

    @property
    def exec_id(self) -> str:
        return self.attributes.get("execID", "")

    @property
    def exit_code(self) -> int | None:
        """For ``die`` and ``exec_die``: the exit code, when the engine gave one."""
        code = self.attributes.get("exitCode")
        try:
            return None if code is None else int(code)
        except ValueError:
            return None


@dataclass(frozen=True)
class ContainerFile:
    """A file copied out of a container (running or stopped), or why it could not be."""

    container: str
    path: str
    text: str | None  # None: not read; see problem
    problem: str = ""  # the engine's words: no such container, no such file, …


# HostConfig's setting for each namespace a container can share with the host.
_MODE_OF = {
    "net": "NetworkMode",
    "pid": "PidMode",
    "uts": "UTSMode",
    "ipc": "IpcMode",
    "cgroup": "CgroupnsMode",
    "user": "UsernsMode",
}


@dataclass(frozen=True)
class Container:
    """What checks compare of ``docker container inspect``."""

    name: str
    id: str
    status: str  # running, exited, created, …
    pid: int  # of its main process; 0 when it is not running
    network_mode: str  # host, bridge, none, container:NAME, a network's name
    addresses: tuple[str, ...]  # its own IP addresses on any network
    modes: Mapping[str, str]  # namespace → HostConfig's mode ("host", "private", "", …)

    @classmethod
    def from_inspect(cls, raw: Mapping[str, Any]) -> Container:
        state = raw.get("State") or {}
        host = raw.get("HostConfig") or {}
        settings = raw.get("NetworkSettings") or {}
        found = [settings.get("IPAddress") or "", settings.get("GlobalIPv6Address") or ""]
        for net in (settings.get("Networks") or {}).values():
            found += [net.get("IPAddress") or "", net.get("GlobalIPv6Address") or ""]
        return cls(
            name=str(raw.get("Name") or "").lstrip("/"),
            id=str(raw.get("Id") or ""),
            status=str(state.get("Status") or "unknown"),
            pid=int(state.get("Pid") or 0),
            network_mode=str(host.get("NetworkMode") or ""),
            addresses=tuple(sorted({a for a in found if a})),
            modes={ns: str(host.get(key) or "") for ns, key in _MODE_OF.items()},
        )


def event_from_engine(raw: Mapping[str, Any]) -> ContainerEvent:
    """An event as the Engine API streams it (``docker events --format '{{json .}}'``
    prints the same object)."""
    actor = raw.get("Actor") or {}
    attributes = {str(k): str(v) for k, v in (actor.get("Attributes") or {}).items()}
    nanos = raw.get("timeNano")
    return ContainerEvent(
        action=str(raw.get("Action") or raw.get("status") or ""),
        container_id=str(actor.get("ID") or raw.get("id") or ""),
        container_name=attributes.get("name", ""),
        time=int(nanos) / 1e9 if nanos else float(raw.get("time") or 0),
        attributes=attributes,
    )


def events_from_lines(lines: bytes | str) -> tuple[ContainerEvent, ...]:
    """Events from a stream of JSON objects, one a line (what is not one is skipped)."""
    text = lines.decode("utf-8", "replace") if isinstance(lines, bytes) else lines
    found = []
    for line in text.splitlines():
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if isinstance(raw, dict):
            found.append(event_from_engine(raw))
    return tuple(found)


def file_from_tar(container: str, path: str, archive: bytes) -> ContainerFile:
    """The file in the tar archive the engine gives for ``GET /containers/…/archive``."""
    import tarfile  # (only for the file checks that read one)

    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            member = tar.next()
            if member is None:
                return ContainerFile(container, path, None, "the engine sent an empty archive")
            if member.issym():
                return ContainerFile(
                    container, path, None, f"{path} is a symbolic link to {member.linkname}"
                )
            data = tar.extractfile(member) if member.isfile() else None
            if data is None:
                return ContainerFile(container, path, None, f"{path} is not a regular file")
            return ContainerFile(container, path, data.read().decode("utf-8", "replace"))
    except tarfile.TarError as exc:
        return ContainerFile(container, path, None, f"unreadable archive from the engine: {exc}")


def timestamp(seconds: float) -> str:
    """Epoch seconds as the engine's ``since``/``until`` take them (``1712345678.123456``)."""
    return f"{seconds:.6f}"


def message(body: bytes) -> str:
    """The engine's error message in an error response's body."""
    try:
        return str(json.loads(body).get("message", body.decode("utf-8", "replace")))
    except (ValueError, AttributeError):
        return body.decode("utf-8", "replace").strip()


def split_tag(name: str) -> tuple[str, str]:
    """``nginx`` → (nginx, latest); ``host:5000/a/b:1.2`` → (host:5000/a/b, 1.2)."""
    if "@" in name:
        return name, ""
    repo, sep, tag = name.rpartition(":")
    if sep and "/" not in tag:
        return repo, tag
    return name, "latest"


def demux(raw: bytes) -> bytes:
    """Logs of a container without a TTY come in frames: 8-byte header, then data."""
    if len(raw) < 8 or raw[0] not in (0, 1, 2) or raw[1:4] != b"\0\0\0":
        return raw  # a TTY container's logs are raw
    out, i = bytearray(), 0
    while i + 8 <= len(raw):
        size = int.from_bytes(raw[i + 4 : i + 8], "big")
        out += raw[i + 8 : i + 8 + size]
        i += 8 + size
    return bytes(out)
