"""``dns``: which resolver a container uses, read from its ``/etc/resolv.conf``.

``host``: the same nameserver, search and options lines as the host's own
``/etc/resolv.conf`` (host networking; Docker copies the host's file, newer
engines rewrite it with a comment header, so lines are compared, not bytes).
``embedded``: Docker's embedded DNS server, ``nameserver 127.0.0.11`` alone
(user-defined networks).

The file is copied out of the container (``DockerApi.container_file``, as
``docker cp`` does) rather than read with ``docker exec``: the check must
leave no trace that an ``exited`` check could take for the learner's own
``docker exec``, and it works with images that have no ``cat``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..probes import ResolvConf
from .base import Check, CheckContext, CheckResult, excerpt

EMBEDDED_DNS = "127.0.0.11"


class DnsCheck(Check):
    """A container's resolver: the host's, or Docker's embedded DNS server."""

    kind: Literal["dns"] = "dns"
    container: str = Field(description="Container name or ID (running or stopped).")
    resolver: Literal["host", "embedded"] = Field(
        description="host: the same nameserver/search/options as the host's /etc/resolv.conf; "
        "embedded: only nameserver 127.0.0.11 (Docker's embedded DNS server)."
    )

    settle_seconds = 5.0

    def describe(self) -> str:
        if self.resolver == "host":
            return (
                f"container {self.container} uses the host's resolver settings (/etc/resolv.conf)"
            )
        return f"container {self.container} uses Docker's embedded DNS server ({EMBEDDED_DNS})"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        copied = ctx.target.docker().container_file(self.container, "/etc/resolv.conf")
        if not (copied.text or "").strip():
            observed = f"cannot read its /etc/resolv.conf: {excerpt(copied.problem, 200)}"
            return self.result(False, self._expected(None), observed)
        mine = ResolvConf.parse(copied.text or "")
        if self.resolver == "embedded":
            ok = mine.nameservers == (EMBEDDED_DNS,)
            return self.result(ok, self._expected(None), str(mine))
        theirs = ctx.target.resolv_conf()
        return self.result(mine == theirs, self._expected(theirs), str(mine))

    def _expected(self, host: ResolvConf | None) -> str:
        if self.resolver == "embedded":
            return f"nameserver {EMBEDDED_DNS} only"
        return f"the host's settings: {host}" if host else "the host's settings"
