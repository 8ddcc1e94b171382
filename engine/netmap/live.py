"""The map as a lesson session shows it: read from the session's target after a
``map: true`` step's checks, as one event. A map that cannot be read is told,
never a failed step or a lost lesson."""

from __future__ import annotations

from ..errors import EnvironmentProblem, TargetError
from ..events import NetworkMapped
from ..targets import Target
from .reader import read_map


def map_event(step: str, index: int, target: Target) -> NetworkMapped:
    """The live map of ``target`` for step ``step`` (``index`` 1-based)."""
    try:
        return NetworkMapped(step, index, read_map(target))
    except (EnvironmentProblem, TargetError) as exc:
        return NetworkMapped(step, index, None, problem=exc.message)
