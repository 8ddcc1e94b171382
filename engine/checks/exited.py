"""``exited``: a container, or a command run in it with ``docker exec``, ended during the step.

The trace an observation inside a container leaves: ``docker exec C cat
/etc/resolv.conf`` changes nothing, but the engine records it (``exec_start``
with the command, ``exec_die`` with its exit code), and so it records a
container that stopped (``die`` with the exit code). Read with ``docker
events`` on the target, so a command the learner typed in their own terminal
is seen too, and its exit code is known.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..dockerapi import ContainerEvent
from ..targets import target_now
from .base import Check, CheckContext, CheckResult, Int


class ExitedCheck(Check):
    """Since the step began, ``container`` (or an ``exec`` in it) ended with ``exit_code``."""

    kind: Literal["exited"] = "exited"
    container: str = Field(description="Container name or ID.")
    exec: str | None = Field(
        default=None,
        description="Text the command of a `docker exec` in the container must contain "
        "(e.g. nslookup); without it, the container itself must have stopped.",
    )
    exit_code: Int | None = Field(default=0, description="Expected exit code; null: any.")

    settle_seconds = 10.0

    def describe(self) -> str:
        what = (
            f"`{self.exec}` run with docker exec in {self.container}"
            if self.exec is not None
            else f"container {self.container}"
        )
        code = "" if self.exit_code is None else f" with exit code {self.exit_code}"
        return f"{what} exited{code} since the step began"

    def evaluate(self, ctx: CheckContext) -> CheckResult:
        recorded = ctx.target.docker().container_events(
            self.container, since=ctx.step_started, until=target_now(ctx.target)
        )
        events = [e for e in recorded if e.about(self.container)]
        if self.exec is not None:
            return self._judge_execs(events)
        return self._judge_container(events)

    def _judge_execs(self, events: list[ContainerEvent]) -> CheckResult:
        started: dict[str, str] = {}  # execID → command line
        ended: dict[str, int | None] = {}  # execID → exit code
        for event in events:
            if event.exec_command is not None:
                started[event.exec_id] = event.exec_command
            elif event.action == "exec_die":
                ended[event.exec_id] = event.exit_code
        seen = [
            f"`{cmd}` " + (f"exited {_code(ended[i])}" if i in ended else "still running")
            for i, cmd in started.items()
        ]
        observed = "; ".join(seen) or f"no docker exec in {self.container} since the step began"
        assert self.exec is not None
        ok = any(
            self.exec in cmd
            and i in ended
            and (self.exit_code is None or ended[i] == self.exit_code)
            for i, cmd in started.items()
        )
        return self.result(ok, self._expected(), observed)

    def _judge_container(self, events: list[ContainerEvent]) -> CheckResult:
        codes = [e.exit_code for e in events if e.action == "die"]
        if not codes:
            actions = ", ".join(e.action for e in events) or "none"
            observed = f"{self.container} did not stop since the step began (events: {actions})"
            return self.result(False, self._expected(), observed)
        observed = "; ".join(f"{self.container} exited with code {_code(c)}" for c in codes)
        ok = self.exit_code is None or self.exit_code in codes
        return self.result(ok, self._expected(), observed)

    def _expected(self) -> str:
        what = f"a docker exec of `…{self.exec}…`" if self.exec is not None else "the container"
        code = "any exit code" if self.exit_code is None else f"exit code {self.exit_code}"
        return f"{what} ended, {code}"


def _code(code: int | None) -> str:
    return "?" if code is None else str(code)
