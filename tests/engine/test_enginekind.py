"""Rootless Docker and Podman told apart from ``docker info``, in each shape it
comes in; the live, rootful engine is covered by the doctor test in tests/plugin."""

from __future__ import annotations

from typing import Any

import pytest

from hostnet.engine.doctor import engine_mode
from hostnet.engine.enginekind import engine_kind

# Docker Engine 20.10.24 on this kind of machine (docker info --format '{{json .}}', cut).
ROOTFUL: dict[str, Any] = {
    "ServerVersion": "20.10.24+dfsg1",
    "OSType": "linux",
    "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
    "SecurityOptions": ["name=seccomp,profile=default"],
}
# moby daemon/info.go: a rootless daemon appends name=rootless (and cgroupns on v2).
ROOTLESS_28: dict[str, Any] = {
    "ServerVersion": "28.3.3",
    "OSType": "linux",
    "SecurityOptions": [
        "name=seccomp,profile=builtin",
        "name=rootless",
        "name=cgroupns",
    ],
}
ROOTLESS_29_5 = {**ROOTLESS_28, "ServerVersion": "29.5.0"}
USERNS = {**ROOTFUL, "SecurityOptions": ["name=seccomp,profile=default", "name=userns"]}
# Podman's Docker-compatible /info (pkg/api/handlers/compat/info.go): Docker's
# fields plus BuildahVersion and Rootless; ServerVersion is Podman's version.
PODMAN_API: dict[str, Any] = {
    "ServerVersion": "5.4.2",
    "OSType": "linux",
    "OperatingSystem": "fedora",
    "SecurityOptions": ["name=seccomp,profile=default", "name=rootless", "name=selinux"],
    "BuildahVersion": "1.39.4",
    "Rootless": True,
}
# podman-docker's `docker info --format '{{json .}}'` is Podman's own (libpod/define/info.go).
PODMAN_CLI: dict[str, Any] = {
    "host": {"arch": "amd64", "security": {"rootless": False, "seccompEnabled": True}},
    "store": {"graphDriverName": "overlay"},
    "registries": {},
    "plugins": {"network": ["bridge", "macvlan"]},
    "version": {"APIVersion": "4.3.1", "Version": "4.3.1", "OsArch": "linux/amd64"},
}


@pytest.mark.parametrize(
    ("info", "product", "version", "rootless", "rootlesskit_netns"),
    [
        (ROOTFUL, "docker", "20.10.24+dfsg1", False, False),
        (USERNS, "docker", "20.10.24+dfsg1", False, False),
        (ROOTLESS_28, "docker", "28.3.3", True, True),
        (ROOTLESS_29_5, "docker", "29.5.0", True, False),
        ({**ROOTLESS_28, "ServerVersion": ""}, "docker", "?", True, True),
        (PODMAN_API, "podman", "5.4.2", True, False),
        ({**PODMAN_API, "Rootless": False, "SecurityOptions": []}, "podman", "5.4.2", False, False),
        (PODMAN_CLI, "podman", "4.3.1", False, False),
    ],
)
def test_engine_kind_from_each_shape(
    info: dict[str, Any], product: str, version: str, rootless: bool, rootlesskit_netns: bool
) -> None:
    kind = engine_kind(info)
    assert (kind.product, kind.version, kind.rootless) == (product, version, rootless)
    assert kind.host_network_is_rootlesskits() is rootlesskit_netns


def test_podman_cli_rootless() -> None:
    info = {**PODMAN_CLI, "host": {"security": {"rootless": True}}}
    assert engine_kind(info).rootless


def test_what_doctor_says_for_each() -> None:
    rootful = engine_mode(engine_kind(ROOTFUL))
    assert rootful.level == "ok" and rootful.detail.startswith("rootful Docker 20.10.24")
    old = engine_mode(engine_kind(ROOTLESS_28))
    assert old.level == "warn" and "RootlessKit's network namespace" in old.detail
    assert "29.5" in old.remedy and "port driver" in old.remedy
    new = engine_mode(engine_kind(ROOTLESS_29_5))
    assert new.level == "ok" and "detach-netns" in new.detail
    podman = engine_mode(engine_kind(PODMAN_CLI))
    assert podman.level == "warn" and podman.detail.startswith("Podman 4.3.1 (rootful)")
    assert "lessons 2 and 3" in podman.remedy
