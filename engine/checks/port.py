"""``port``: something listens on a port (or nothing does), owned by a process; or,
from outside, the port takes a connection at the host's address (or does not)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..outside import Outside, host_address
from ..probes import Listener
from .base import Check, CheckContext, CheckResult, Int, Vantage


class PortCheck(Check, Vantage):
    """Listening sockets on a port of the target, and the processes owning them."""

    kind: Literal["port"] = "port"
    port: Int = Field(ge=1, le=65535)
    protocol: Literal["tcp", "udp"] = "tcp"
    listening: bool = Field(default=True, description="false: the port must be free.")
    process: str | None = Field(
        default=None, description="Command name that must own every listener, e.g. nginx."
    )

    settle_seconds = 10.0

    @model_validator(mode="after")
    def _outside_sees_tcp_only(self) -> PortCheck:
        if self.outside and (self.protocol != "tcp" or self.process is not None):
            raise ValueError(
                "from outside, a port is seen by connecting to it: TCP only, and its "
                "owning process cannot be seen (check that from the host)"
            )
        return self

    def describe(self) -> str:
        if self.outside:
            verb = "takes" if self.listening else "refuses"
            return (
                f"TCP port {self.port} {verb} connections from outside (a container on the bridge)"
            )
        if not self.listening:
            return f"{self.protocol.upper()} port {self.port} is free"
        owner = f", owned by {self.process}" if self.process else ""
        return f"{self.protocol.upper()} port {self.port} is listening{owner}"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        if self.outside:
            return self._from_outside(ctx)
        sockets = [s for s in ctx.target.listeners(self.port) if s.protocol == self.protocol]
        observed = "; ".join(_describe_socket(s) for s in sockets) or "nothing listening"
        if not self.listening:
            return self.result(not sockets, "nothing listening", observed)
        expected = f"listening, owned by {self.process}" if self.process else "listening"
        if not sockets:
            return self.result(False, expected, observed)
        if self.process is None:
            return self.result(True, expected, observed)
        hidden = [s for s in sockets if not s.owners_visible]
        owners = {p.name for s in sockets for p in s.processes}
        if hidden and not owners:
            return self.result(
                True,
                expected,
                observed,
                note="the owning process is hidden from non-root users; "
                "run as root (or with sudo) to verify it",
            )
        return self.result(owners == {self.process}, expected, observed)

    def _from_outside(self, ctx: CheckContext) -> CheckResult:
        host = host_address(ctx.target)
        seen = Outside(ctx.target, self.probe_image).connect(host, self.port)
        expected = "a connection is accepted" if self.listening else "no connection"
        observed = f"{host}:{self.port} from a container on the bridge: {seen.detail}"
        return self.result(seen.accepted == self.listening, expected, observed)


def _describe_socket(sock: Listener) -> str:
    if sock.processes:
        owners = ", ".join(f"{p.name} (pid {p.pid})" for p in sock.processes)
    elif sock.owners_visible:
        owners = "no process (kernel or another namespace)"
    else:
        owners = "owner hidden (needs root)"
    return f"{sock.endpoint} by {owners}"
