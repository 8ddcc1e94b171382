"""Where the tests run: the repository, the stand-in image, CI or not, and what a
missing component means (a skip locally, a failure in CI)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


STANDIN_IMAGE = os.environ.get("HOSTNET_TEST_IMAGE", "hostnet/nginx-standin:latest")


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


LESSON_CONTAINERS = ("my_nginx",)


def unavailable(reason: str) -> None:
    """A real component this test needs is missing: skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: .ci/run must provide it; never skipped in CI)")
    pytest.skip(reason)


def offline_values(lesson_variables: object) -> dict[str, str]:
    """Offline values for a lesson's image variables: the local stand-in provides them all."""
    return {name: STANDIN_IMAGE for name in lesson_variables if "image" in name}  # type: ignore[attr-defined]


def require_netns_labs() -> None:
    """What netns labs need: root, iproute2, nsenter, ssh-keygen, dockerd, sshd."""
    from hostnet.engine.labs import netns

    for tool in ("ip", "nsenter", "ssh-keygen", "dockerd"):
        if shutil.which(tool) is None:
            unavailable(f"{tool} is not installed")
    if not Path(netns.SSHD).exists():
        unavailable("openssh-server is not installed (/usr/sbin/sshd)")
    if os.geteuid() != 0:
        unavailable("netns labs need root")
