"""``interfaces``: how the host's interface list changed since a snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from ..probes import Interface, interface_from_json
from ..snapshots import Baseline
from .base import Check, CheckContext, CheckResult, Int


def interfaces_at(ctx: CheckContext, baseline: Baseline) -> tuple[Interface, ...] | None:
    """The interfaces as ``baseline`` recorded them; None: it was not taken."""
    saved: Sequence[dict[str, Any]] | None = ctx.snapshots.get(baseline)
    return None if saved is None else tuple(interface_from_json(i) for i in saved)


class InterfacesCheck(Check):
    """Compare the target's interfaces with the snapshot taken earlier.

    The snapshot is a diff baseline, not a fixed list: lab VMs differ (libvirt
    adds a management NIC), so lessons assert on what was added or removed.
    """

    kind: Literal["interfaces"] = "interfaces"
    since: Literal["lesson", "step"] = Field(
        default="lesson", description="Compare with the list at the start of the lesson or step."
    )
    added: Int | None = Field(default=0, ge=0, description="How many interfaces were added.")
    removed: Int | None = Field(default=0, ge=0, description="How many were removed.")
    added_kind: str | None = Field(
        default=None, description="Kind every added interface must have, e.g. veth."
    )

    settle_seconds = 3.0

    def baselines(self) -> tuple[Baseline, ...]:
        return (Baseline("interfaces", self.since),)

    def describe(self) -> str:
        base = "the lesson began" if self.since == "lesson" else "the step began"
        if self.added == 0 and self.removed == 0:
            return f"no interface added or removed since {base}"
        kind = f" {self.added_kind}" if self.added_kind else ""
        return f"{self.added}{kind} interface(s) added since {base}"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        before = interfaces_at(ctx, Baseline("interfaces", self.since))
        if before is None:
            return self.result(False, self._expected(), "no snapshot was taken (engine bug)")
        now = ctx.target.interfaces()
        old_names = {i.name for i in before}
        new_names = {i.name for i in now}
        added = [i for i in now if i.name not in old_names]
        removed = sorted(old_names - new_names)
        observed = (
            "added: "
            + (", ".join(f"{i.name} ({i.kind or 'kind unknown'})" for i in added) or "none")
            + "; removed: "
            + (", ".join(removed) or "none")
        )
        ok = (self.added is None or len(added) == self.added) and (
            self.removed is None or len(removed) == self.removed
        )
        if self.added_kind is not None and any(i.kind != self.added_kind for i in added):
            ok = False
        return self.result(ok, self._expected(), observed)

    def _expected(self) -> str:
        kind = f" of kind {self.added_kind}" if self.added_kind else ""
        added = "any number" if self.added is None else str(self.added)
        removed = "any number" if self.removed is None else str(self.removed)
        return f"added: {added}{kind}; removed: {removed}"
