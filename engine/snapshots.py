"""What a lesson remembers between steps: when it and each step began, and the
baselines its checks compare against (the interfaces at the start, …).

Each check kind declares the :class:`Baseline` it needs (``Check.baselines``);
the session takes them at the right moment and keeps them in the progress
store, so a check after a restart compares against the same state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .probes import interface_to_json
from .targets import Target, target_now

Moment = Literal["lesson", "step"]

_LESSON_STARTED = "lesson_started"
_BEGAN_HERE = "lesson_began_here"
_STEP_STARTED = "step_started:"


@dataclass(frozen=True)
class Baseline:
    """State read from the target at the start of the lesson or of the step."""

    probe: Literal["interfaces"]
    moment: Moment

    @property
    def key(self) -> str:
        return f"{self.probe}@{self.moment}"


# How each baseline is read from a target (and kept: as JSON).
_READ: dict[str, Callable[[Target], Any]] = {
    "interfaces": lambda target: [interface_to_json(i) for i in target.interfaces()],
}


@dataclass
class Snapshots:
    """``lesson_started`` and ``step_started`` are on the target's clock (what its
    engine's log and event times are compared with: ``targets.target_now``);
    ``began_here`` is the lesson's start on this machine's clock, the one progress
    records are stamped with."""

    lesson_started: float
    step_started: dict[str, float] = field(default_factory=dict)
    values: dict[Baseline, Any] = field(default_factory=dict)
    began_here: float = 0.0

    @classmethod
    def empty(cls) -> Snapshots:
        return cls(lesson_started=0.0)

    @classmethod
    def take(
        cls, needed: Iterable[Baseline], target: Target, *, since: float | None = None
    ) -> Snapshots:
        """The lesson's start, now (on the target's clock and on ours) or backdated to
        ``since``: read every baseline taken at the lesson's start."""
        if since is None:
            snapshots = cls(lesson_started=target_now(target), began_here=time.time())
        else:
            snapshots = cls(lesson_started=since, began_here=since)
        snapshots._read([b for b in needed if b.moment == "lesson"], target)
        return snapshots

    def take_step(self, needed: Iterable[Baseline], target: Target) -> dict[str, Any]:
        """A step's start: read its baselines; what to save."""
        return self._read([b for b in needed if b.moment == "step"], target)

    def get(self, baseline: Baseline) -> Any | None:
        return self.values.get(baseline)

    def _read(self, baselines: Iterable[Baseline], target: Target) -> dict[str, Any]:
        taken = {}
        for baseline in dict.fromkeys(baselines):
            self.values[baseline] = _READ[baseline.probe](target)
            taken[baseline.key] = self.values[baseline]
        return taken

    # -- kept in the progress store -------------------------------------------------------

    @staticmethod
    def step_key(step_id: str) -> str:
        return _STEP_STARTED + step_id

    def saved(self) -> dict[str, Any]:
        """Everything, as the progress store keeps it (JSON values)."""
        data: dict[str, Any] = {
            _LESSON_STARTED: self.lesson_started,
            _BEGAN_HERE: self.began_here,
        }
        data.update({self.step_key(k): v for k, v in self.step_started.items()})
        data.update({b.key: v for b, v in self.values.items()})
        return data

    @classmethod
    def from_saved(cls, saved: Mapping[str, Any]) -> Snapshots | None:
        """What :meth:`saved` wrote; None when nothing was (a fresh lesson)."""
        if _LESSON_STARTED not in saved:
            return None
        started = float(saved[_LESSON_STARTED])
        snapshots = cls(lesson_started=started, began_here=float(saved.get(_BEGAN_HERE, started)))
        for key, value in saved.items():
            if key.startswith(_STEP_STARTED):
                snapshots.step_started[key.removeprefix(_STEP_STARTED)] = float(value)
            elif "@" in key:
                probe, _, moment = key.partition("@")
                if probe in _READ and moment in ("lesson", "step"):
                    snapshots.values[Baseline(probe, moment)] = value  # type: ignore[arg-type]
        return snapshots
