"""``container``: a container's state, network mode and IP address."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

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
        attrs = ctx.target.docker().inspect_container(self.name)
        if attrs is None:
            return self.result(self.state == "absent", self._expected(), "no such container")
        if self.state == "absent":
            status = attrs["State"]["Status"]
            return self.result(False, "no such container", f"container {self.name} is {status}")
        status = attrs["State"]["Status"]
        mode = attrs["HostConfig"]["NetworkMode"]
        addresses = _addresses(attrs)
        observed = f"{status}, network mode {mode}, IP addresses: {', '.join(addresses) or 'none'}"
        ok = self.state == "present" or status == self.state
        if self.network_mode is not None and mode != self.network_mode:
            ok = False
        if self.ip_address == "none" and addresses:
            ok = False
        if self.ip_address == "any" and not addresses:
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


def _addresses(attrs: dict[str, Any]) -> list[str]:
    settings = attrs.get("NetworkSettings") or {}
    found = [settings.get("IPAddress") or "", settings.get("GlobalIPv6Address") or ""]
    for net in (settings.get("Networks") or {}).values():
        found += [net.get("IPAddress") or "", net.get("GlobalIPv6Address") or ""]
    return sorted({a for a in found if a})
