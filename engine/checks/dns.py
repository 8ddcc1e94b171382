"""``dns``: which resolver a container uses, read from its ``/etc/resolv.conf``.

``host``: the same nameserver, search and options lines as the host's own
``/etc/resolv.conf`` (host networking; Docker copies the host's file, newer
engines rewrite it with a comment header, so lines are compared, not bytes).
``embedded``: Docker's embedded DNS server, ``nameserver 127.0.0.11`` alone
(user-defined networks).

The file is copied out with ``docker cp`` rather than read with ``docker
exec``: the check must leave no trace that an ``exited`` check could take for
the learner's own ``docker exec``, and it works with images that have no
``cat``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from .base import Check, CheckContext, CheckResult, excerpt

EMBEDDED_DNS = "127.0.0.11"


@dataclass(frozen=True)
class Resolver:
    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Resolver:
        nameservers: list[str] = []
        search: list[str] = []
        options: list[str] = []
        for line in text.splitlines():
            fields = line.split()
            if not fields or fields[0].startswith(("#", ";")):
                continue
            if fields[0] == "nameserver" and len(fields) > 1:
                nameservers.append(fields[1])
            elif fields[0] == "search":
                search = fields[1:]  # resolv.conf(5): the last search line wins
            elif fields[0] == "options":
                options += fields[1:]
        return cls(tuple(nameservers), tuple(search), tuple(sorted(options)))

    def __str__(self) -> str:
        return (
            f"nameserver {', '.join(self.nameservers) or '(none)'}; "
            f"search {' '.join(self.search) or '(none)'}; "
            f"options {' '.join(self.options) or '(none)'}"
        )


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
        res = ctx.target.run(
            f"docker cp {shlex.quote(self.container + ':/etc/resolv.conf')} - | tar -xOf -",
            timeout=30,
        )
        if not res.ok or not res.stdout.strip():
            observed = f"cannot read its /etc/resolv.conf: {excerpt(res.output, 200)}"
            return self.result(False, self._expected(None), observed)
        mine = Resolver.parse(res.stdout)
        if self.resolver == "embedded":
            ok = mine.nameservers == (EMBEDDED_DNS,)
            return self.result(ok, self._expected(None), str(mine))
        host = ctx.target.run("cat /etc/resolv.conf", timeout=10)
        theirs = Resolver.parse(host.stdout if host.ok else "")
        return self.result(mine == theirs, self._expected(theirs), str(mine))

    def _expected(self, host: Resolver | None) -> str:
        if self.resolver == "embedded":
            return f"nameserver {EMBEDDED_DNS} only"
        return f"the host's settings: {host}" if host else "the host's settings"
