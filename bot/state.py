"""The bot's lesson state machine: its states as enums, the moves it allows.

A lesson in a Slack thread is one :class:`Session` row. Three enums describe it:

* :class:`Status`, its life: ``queued → active → finished | stopped | expired |
  failed``; a queued learner may also stop, or fail (the bot could not post).
* :class:`Phase`, where an active lesson is: ``begin → step → quiz → done``.
* :class:`Turn`, whether the live message's buttons may be clicked (``ready``)
  or a click is being handled (``running``). ``turn`` counts the messages
  whose buttons were live; a click carries the turn it was rendered with.

The store (``store.py``) holds all the SQL; each of its named methods makes one
of the moves below, and refuses an illegal one with :class:`IllegalTransition`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hostnet.engine.errors import HostnetError


class Status(StrEnum):
    QUEUED = "queued"
    ACTIVE = "active"
    FINISHED = "finished"
    STOPPED = "stopped"
    EXPIRED = "expired"
    FAILED = "failed"

    @property
    def is_open(self) -> bool:
        return self in OPEN


class Phase(StrEnum):
    BEGIN = "begin"
    STEP = "step"
    QUIZ = "quiz"
    DONE = "done"


class Turn(StrEnum):
    READY = "ready"
    RUNNING = "running"


OPEN = frozenset({Status.QUEUED, Status.ACTIVE})

# Every move a session's status may make; the store refuses any other.
STATUS_MOVES: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.ACTIVE, Status.STOPPED, Status.FAILED}),
    Status.ACTIVE: frozenset({Status.FINISHED, Status.STOPPED, Status.EXPIRED, Status.FAILED}),
    Status.FINISHED: frozenset(),
    Status.STOPPED: frozenset(),
    Status.EXPIRED: frozenset(),
    Status.FAILED: frozenset(),
}

# Where an active lesson may go next (a step may be offered again after a failure).
PHASE_MOVES: dict[Phase, frozenset[Phase]] = {
    Phase.BEGIN: frozenset({Phase.STEP, Phase.QUIZ, Phase.DONE}),
    Phase.STEP: frozenset({Phase.STEP, Phase.QUIZ, Phase.DONE}),
    Phase.QUIZ: frozenset({Phase.QUIZ, Phase.DONE}),
    Phase.DONE: frozenset(),
}


class IllegalTransition(HostnetError):
    """A move the state machine does not allow (a bug, never a user's mistake)."""


def check_status(session_id: int, now: Status, to: Status) -> None:
    if to not in STATUS_MOVES[now]:
        raise IllegalTransition(f"session {session_id}: status {now} cannot become {to}")


def check_phase(session_id: int, now: Phase, to: Phase) -> None:
    if to not in PHASE_MOVES[now]:
        raise IllegalTransition(f"session {session_id}: phase {now} cannot become {to}")


@dataclass(frozen=True)
class Session:
    id: int
    learner: str
    channel: str
    thread_ts: str | None
    lesson: str
    status: Status
    phase: Phase
    state: Turn
    lab: str | None
    step_index: int
    quiz_index: int
    turn: int
    message_ts: str | None
    hints_shown: int
    failures: int
    passed: int
    skipped: int
    quiz_correct: int
    created_at: float
    started_at: float | None
    step_started_at: float | None
    last_active: float
    finished_at: float | None
    prediction: int | None = None  # the learner's prediction for the live step (1-based)
    owner: str | None = None  # the bot process answering for its work in flight (replicas.py)
    claimed_at: float | None = None  # since when

    def __post_init__(self) -> None:
        # Rows come from the database as plain strings.
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "phase", Phase(self.phase))
        object.__setattr__(self, "state", Turn(self.state))

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def running(self) -> bool:
        return self.state is Turn.RUNNING


@dataclass(frozen=True)
class Lease:
    lab: str
    session_id: int
    learner: str
    leased_at: float
