"""What must hold of the bot's state whenever no click is being handled.

Checked after every bot test and after every round of the workshop benchmark;
a violation is a learner left without an answer or a lab lost to the pool.

* Every session is over, queued, or waiting on its live message (a turn with a
  message to click), unless a job is working on it.
* No session is ``running`` without a job on it.
* Every lease belongs to an active session (or one a job is ending), and every
  active session holds the lease on its lab.
"""

from __future__ import annotations

from collections.abc import Callable

from .state import Phase, Status, Turn
from .store import BotStore

Buttons = Callable[[str], bool]
"""Whether the message with this ts has live buttons (in tests: the fake Web API)."""


def violations(store: BotStore, busy: set[int], *, buttons: Buttons | None = None) -> list[str]:
    """Each broken invariant, in words naming the session or lab; [] when all hold."""
    found: list[str] = []
    leases = {lease.session_id: lease for lease in store.leases()}
    for s in store.sessions():
        who = f"session {s.id} ({s.learner}, {s.status}, {s.phase}, {s.state}, turn {s.turn})"
        if s.id in busy:
            continue  # a job is on it: its state may be anything for now
        if s.state is Turn.RUNNING:
            found.append(f"{who} is running, but no job is working on it")
            continue
        if s.status is Status.ACTIVE:
            if s.phase not in (Phase.STEP, Phase.QUIZ) or not s.message_ts:
                found.append(f"{who} waits on no message the learner could click")
            elif buttons is not None and not buttons(s.message_ts):
                found.append(f"{who} waits on message {s.message_ts}, which has no live buttons")
            lease = leases.get(s.id)
            if s.phase is Phase.STEP and (lease is None or lease.lab != s.lab):
                found.append(f"{who} is on a step but does not hold lab {s.lab}")
    for session_id, lease in leases.items():
        owner = store.get(session_id)
        if session_id in busy:
            continue
        if owner is None or owner.status is not Status.ACTIVE:
            status = "no session" if owner is None else f"a {owner.status} session"
            found.append(f"lab {lease.lab} is leased to {status} ({session_id})")
    return found
