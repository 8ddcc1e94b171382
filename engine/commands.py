"""What one command did: the same :class:`CommandResult` from every target.

A module of its own so that everything that runs commands (targets, the
``docker`` CLI behind :class:`~hostnet.engine.dockerapi.CliDocker`) and
everything that shows them (events, front ends) can share the type without
importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

OutputSink = Callable[[str, str], None]
"""Receives ``(stream, text)`` while a command runs; stream is stdout or stderr."""


@dataclass(frozen=True)
class CommandResult:
    """What one command did: the same shape from every target."""

    command: str
    exit_code: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def output(self) -> str:
        """stdout and stderr together, as a learner sees them in a terminal."""
        return self.stdout + self.stderr
