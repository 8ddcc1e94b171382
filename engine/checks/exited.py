"""``exited``: a container, or a command run in it with ``docker exec``, ended during the step.

The trace an observation inside a container leaves: ``docker exec C cat
/etc/resolv.conf`` changes nothing, but the engine records it (``exec_start``
with the command, ``exec_die`` with its exit code), and so it records a
container that stopped (``die`` with the exit code). Read with ``docker
events`` on the target, so a command the learner typed in their own terminal
is seen too, and its exit code is known.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Any, Literal

from pydantic import Field

from .base import Check, CheckContext, CheckResult, Int, excerpt

_EXEC_START = "exec_start: "


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
        command = (
            f"docker events --since {ctx.step_started:.6f} --until {time.time():.6f} "
            f"--filter type=container --filter container={shlex.quote(self.container)} "
            "--format '{{json .}}'"
        )
        res = ctx.target.run(command, timeout=30)
        if not res.ok:
            return self.result(
                False, self._expected(), f"cannot read Docker events: {excerpt(res.output, 200)}"
            )
        events = [e for e in _parse(res.stdout) if self._mine(e)]
        if self.exec is not None:
            return self._judge_execs(events)
        return self._judge_container(events)

    def _mine(self, event: dict[str, Any]) -> bool:
        actor = event.get("Actor") or {}
        ident = str(actor.get("ID") or event.get("id") or "")
        name = str((actor.get("Attributes") or {}).get("name") or "")
        return self.container in (name, ident) or (
            len(self.container) >= 12 and ident.startswith(self.container)
        )

    def _judge_execs(self, events: list[dict[str, Any]]) -> CheckResult:
        started: dict[str, str] = {}  # execID → command line
        ended: dict[str, str] = {}  # execID → exit code
        for event in events:
            action = _action(event)
            exec_id = str(_attributes(event).get("execID") or "")
            if action.startswith(_EXEC_START):
                started[exec_id] = action[len(_EXEC_START) :]
            elif action == "exec_die":
                ended[exec_id] = str(_attributes(event).get("exitCode", "?"))
        seen = [
            f"`{cmd}` " + (f"exited {ended[i]}" if i in ended else "still running")
            for i, cmd in started.items()
        ]
        observed = "; ".join(seen) or f"no docker exec in {self.container} since the step began"
        assert self.exec is not None
        ok = any(
            self.exec in cmd
            and i in ended
            and (self.exit_code is None or ended[i] == str(self.exit_code))
            for i, cmd in started.items()
        )
        return self.result(ok, self._expected(), observed)

    def _judge_container(self, events: list[dict[str, Any]]) -> CheckResult:
        codes = [str(_attributes(e).get("exitCode", "?")) for e in events if _action(e) == "die"]
        if not codes:
            actions = ", ".join(_action(e) for e in events) or "none"
            observed = f"{self.container} did not stop since the step began (events: {actions})"
            return self.result(False, self._expected(), observed)
        observed = "; ".join(f"{self.container} exited with code {code}" for code in codes)
        ok = self.exit_code is None or str(self.exit_code) in codes
        return self.result(ok, self._expected(), observed)

    def _expected(self) -> str:
        what = f"a docker exec of `…{self.exec}…`" if self.exec is not None else "the container"
        code = "any exit code" if self.exit_code is None else f"exit code {self.exit_code}"
        return f"{what} ended, {code}"


def _parse(text: str) -> list[dict[str, Any]]:
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _action(event: dict[str, Any]) -> str:
    return str(event.get("Action") or event.get("status") or "")


def _attributes(event: dict[str, Any]) -> dict[str, Any]:
    return dict((event.get("Actor") or {}).get("Attributes") or {})
