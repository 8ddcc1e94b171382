"""``container``: a container's state, network mode and IP address."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..dockerapi import container
from .base import Check, CheckContext, CheckResult


class ContainerCheck(Check):
    """A container exists (or not) with the given state, network mode and address."""

    kind: Literal["container"] = "container"
    name: str = Field(description="Container name or ID.")
    state: Literal["running", "exited", "present", "absent"] = Field(
        default="running", description="'present' is any state; 'absent' means no such container."
    )
    network_mode: str | None = Field(
        default=None, description="Expected HostConfig.NetworkMode, e.g. host, bridge, none."
    )
    ip_address: Literal["none", "any"] | None = Field(
        default=None,
        description="'none': no IP address of its own on any network (host networking); "
        "'any': at least one.",
    )

    settle_seconds = 10.0

    def describe(self) -> str:
        if self.state == "absent":
            return f"no container named {self.name}"
        parts = [f"container {self.name} is {self.state}"]
        if self.network_mode:
            parts.append(f"on the {self.network_mode} network")
        if self.ip_address == "none":
            parts.append("with no IP address of its own")
        elif self.ip_address == "any":
            parts.append("with an IP address")
        return " ".join(parts)

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        found = container(ctx.target.docker(), self.name)
        if found is None:
            return self.result(self.state == "absent", self._expected(), "no such container")
        if self.state == "absent":
            observed = f"container {self.name} is {found.status}"
            return self.result(False, "no such container", observed)
        addresses = ", ".join(found.addresses) or "none"
        observed = f"{found.status}, network mode {found.network_mode}, IP addresses: {addresses}"
        ok = self.state == "present" or found.status == self.state
        if self.network_mode is not None and found.network_mode != self.network_mode:
            ok = False
        if self.ip_address == "none" and found.addresses:
            ok = False
        if self.ip_address == "any" and not found.addresses:
            ok = False
        return self.result(ok, self._expected(), observed)

    def _expected(self) -> str:
        if self.state == "absent":
            return "no such container"
        parts: list[str] = ["any state" if self.state == "present" else self.state]
        if self.network_mode is not None:
            parts.append(f"network mode {self.network_mode}")
        if self.ip_address is not None:
            parts.append(f"IP addresses: {self.ip_address}")
        return ", ".join(parts)
