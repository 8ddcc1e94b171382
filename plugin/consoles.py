"""The state of this run (the docker flags we were called with) and the consoles.

Standard library only at import, no Typer: ``hostnet lessons`` and the error
funnel (:mod:`.funnel`) use them without the Typer app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console

LEARNER = "local"  # the CLI keeps one progress file per user


@dataclass
class State:
    docker_flags: dict[str, str] = field(default_factory=dict)
    as_plugin: bool = False
    debug: bool = False

    @property
    def prog(self) -> str:
        return "docker hostnet" if self.as_plugin else "hostnet"


state = State()


class _LazyConsole:
    """A Rich console made on first use (importing Rich takes ~30 ms that ``--help``
    and completion need not pay); everything else is the console's own."""

    def __init__(self, *, stderr: bool) -> None:
        self._stderr = stderr
        self._made: Console | None = None

    def _console(self) -> Console:
        if self._made is None:
            from rich.console import Console

            # On a terminal, prose is word-wrapped to its width (render.hang adds a
            # hanging indent) and command output keeps its lines as the command
            # printed them. To a pipe or a file, nothing is wrapped (soft_wrap):
            # lines stay whole for grep. Rich honours NO_COLOR and drops styling
            # when the output is not a terminal. emoji=False: ":100:" is a line number.
            made = Console(stderr=self._stderr, highlight=False, emoji=False)
            made.soft_wrap = not made.is_terminal
            self._made = made
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._console(), name, value)


out = cast("Console", _LazyConsole(stderr=False))
err = cast("Console", _LazyConsole(stderr=True))
