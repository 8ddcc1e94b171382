"""``port``: something listens on a port (or nothing does), owned by a process."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..probes import Listener
from .base import Check, CheckContext, CheckResult, Int


class PortCheck(Check):
    """Listening sockets on a port of the target, and the processes owning them."""

    kind: Literal["port"] = "port"
    port: Int = Field(ge=1, le=65535)
    protocol: Literal["tcp", "udp"] = "tcp"
    listening: bool = Field(default=True, description="false: the port must be free.")
    process: str | None = Field(
        default=None, description="Command name that must own every listener, e.g. nginx."
    )

    settle_seconds = 10.0

    def describe(self) -> str:
        if not self.listening:
            return f"{self.protocol.upper()} port {self.port} is free"
        owner = f", owned by {self.process}" if self.process else ""
        return f"{self.protocol.upper()} port {self.port} is listening{owner}"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
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


def _describe_socket(sock: Listener) -> str:
    if sock.processes:
        owners = ", ".join(f"{p.name} (pid {p.pid})" for p in sock.processes)
    elif sock.owners_visible:
        owners = "no process (kernel or another namespace)"
    else:
        owners = "owner hidden (needs root)"
    return f"{sock.endpoint} by {owners}"
