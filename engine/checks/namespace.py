"""``namespace``: whether a container shares one of the host's namespaces.

The evidence is the namespace's inode, as ``readlink /proc/PID/ns/net`` prints
it (``net:[4026531840]``), for the container's main process and for the host:
two processes share a namespace exactly when the inodes are equal. "The host"
is where the target runs its commands (a login shell there): on a VM that is
the VM; on a netns lab it is the lab's network namespace, which PID 1 is not in.

Reading another user's process needs root; without it the check judges from
the container's configuration (``HostConfig``) and says so in a note.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..dockerapi import Container, container
from ..probes import NamespaceKind
from .base import Check, CheckContext, CheckResult


class NamespaceCheck(Check):
    """Container ``container`` shares the host's ``namespace``, or has its own."""

    kind: Literal["namespace"] = "namespace"
    container: str = Field(description="Container name or ID (it must be running).")
    namespace: NamespaceKind = Field(description="net, pid, uts, ipc, mnt, user or cgroup.")
    shared_with_host: bool = Field(
        description="true: the container is in the host's namespace; false: in its own."
    )

    settle_seconds = 10.0

    def describe(self) -> str:
        if self.shared_with_host:
            return f"container {self.container} shares the host's {self.namespace} namespace"
        return f"container {self.container} has a {self.namespace} namespace of its own"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        expected = (
            f"the host's {self.namespace} namespace"
            if self.shared_with_host
            else f"a {self.namespace} namespace other than the host's"
        )
        found = container(ctx.target.docker(), self.container)
        if found is None or found.pid <= 0:
            why = "no such container" if found is None else f"{self.container} is {found.status}"
            return self.result(False, expected, why)
        theirs = ctx.target.namespaces(found.pid).get(self.namespace)
        host = ctx.target.namespaces().get(self.namespace)
        if theirs is None or host is None:
            return self._from_configuration(found, expected)
        ns = self.namespace
        observed = f"container {ns}:[{theirs}] vs the host's {ns}:[{host}]"
        return self.result((theirs == host) == self.shared_with_host, expected, observed)

    def _from_configuration(self, found: Container, expected: str) -> CheckResult:
        """Without root: what the container was created with says it."""
        mode = found.modes.get(self.namespace, "")
        said = f"{self.namespace} mode {mode!r}" if mode else f"no {self.namespace} mode set"
        shared = _shared(self.namespace, mode)
        note = "namespace inodes need root to read; judged from the container's configuration"
        if shared is None:
            observed = f"cannot tell without root ({said}: the engine's default applies)"
            return self.result(False, expected, observed, note=note)
        observed = f"{'shares' if shared else 'does not share'} it ({said} in its configuration)"
        return self.result(shared == self.shared_with_host, expected, observed, note=note)


def _shared(namespace: str, mode: str) -> bool | None:
    """Whether a container created with ``mode`` shares the host's ``namespace``."""
    if namespace == "mnt":
        return False  # a container always has a mount namespace of its own
    if mode == "host":
        return True
    if mode:
        return False  # private, shareable, container:NAME, a network's name, …
    # No mode given: the engine's default. No user namespace unless the daemon
    # remaps users (then --userns=host would be needed); a cgroup namespace of its
    # own on cgroup v2 but the host's on v1; the others are private.
    return {"user": True, "cgroup": None}.get(namespace, False)
