"""What kind of engine answers the ``docker`` command: Docker or Podman, rootful
or rootless, read from what ``docker info`` returns.

Three shapes of that answer exist in the wild:

* Docker Engine's (the Engine API's ``/info``, or ``docker info --format
  '{{json .}}'``): ``ServerVersion``, and ``SecurityOptions`` entries such as
  ``name=seccomp,profile=default``; a rootless daemon adds ``name=rootless``
  (moby ``daemon/info.go``).
* Podman's Docker-compatible API (the docker CLI or SDK pointed at Podman's
  socket): the same fields plus Podman's own ``BuildahVersion`` and
  ``Rootless``; ``ServerVersion`` is Podman's version (podman
  ``pkg/api/handlers/compat/info.go``).
* Podman's own CLI, which ``podman-docker`` installs as ``docker``: lower-case
  ``host``, ``store`` and ``version`` sections, rootless in
  ``host.security.rootless`` (podman ``libpod/define/info.go``).

Pure parsing, so every shape is unit-tested; ``doctor`` reads the live one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Rootless Docker before Engine 29.5: --network host joined RootlessKit's network
# namespace (docs.docker.com/engine/security/rootless/troubleshoot/, "Historical
# limitations"); moby PR #47103 (docker-v29.5.0) detaches it by default.
ROOTLESS_HOST_NETWORK_FIXED = (29, 5)
ROOTLESS_DOCS = "https://docs.docker.com/engine/security/rootless/troubleshoot/"


@dataclass(frozen=True)
class EngineKind:
    product: str  # "docker" or "podman"
    version: str  # the server's version as it reports it ("?" when it does not)
    rootless: bool

    @property
    def podman(self) -> bool:
        return self.product == "podman"

    def release(self) -> tuple[int, int] | None:
        """(major, minor) of the version, or None when it does not start with them."""
        found = re.match(r"v?(\d+)\.(\d+)", self.version)
        return (int(found.group(1)), int(found.group(2))) if found else None

    def host_network_is_rootlesskits(self) -> bool:
        """Rootless Docker whose --network host is RootlessKit's namespace, not the
        host's. An unreadable version counts as old: the warning is the safe side."""
        if self.podman or not self.rootless:
            return False
        release = self.release()
        return release is None or release < ROOTLESS_HOST_NETWORK_FIXED


def engine_kind(info: Mapping[str, Any]) -> EngineKind:
    """Read an engine's kind from its ``docker info`` answer, in any shape above."""
    host = info.get("host")
    if isinstance(host, Mapping) and isinstance(info.get("version"), Mapping):
        security = host.get("security")
        rootless = isinstance(security, Mapping) and security.get("rootless") is True
        version = str(info["version"].get("Version") or "?")
        return EngineKind("podman", version, rootless)
    options = info.get("SecurityOptions") or []
    names = {
        part.partition("=")[2]
        for option in options
        if isinstance(option, str)
        for part in option.split(",")
        if part.startswith("name=")
    }
    podman = "BuildahVersion" in info
    rootless = "rootless" in names or (podman and info.get("Rootless") is True)
    version = str(info.get("ServerVersion") or "?")
    return EngineKind("podman" if podman else "docker", version, rootless)
