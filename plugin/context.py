"""What every command shares: the docker flags we were called with, consoles, helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.console import Console

from hostnet.engine.loader import find_lesson
from hostnet.engine.model import Lesson
from hostnet.engine.progress import ProgressStore
from hostnet.engine.targets import LocalTarget, Target

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
# On a terminal, prose is word-wrapped to its width (render.hang adds a hanging
# indent) and command output keeps its lines as the command printed them. To a
# pipe or a file, nothing is wrapped (soft_wrap): lines stay whole for grep.
# Rich honours NO_COLOR and drops styling when the output is not a terminal.
out = Console(highlight=False, emoji=False)  # emoji=False: ":100:" is a line number
err = Console(stderr=True, highlight=False, emoji=False)
for _console in (out, err):
    _console.soft_wrap = not _console.is_terminal


def make_target(lab: str | None = None, url: str | None = None) -> Target:
    """A lab over SSH (``--lab``/``--target``), else the engine the user's ``docker``
    would use with the same global flags."""
    if lab and url:
        raise typer.BadParameter("give --lab or --target, not both", param_hint="--lab")
    if lab:
        from hostnet.engine.labs import registry

        return registry.get(lab).open()
    if url:
        from hostnet.engine.ssh import SSHTarget

        return SSHTarget.open(url, url=url)  # not a registered lab: named by its URL
    return LocalTarget(
        docker_host=state.docker_flags.get("host") or None,
        context=state.docker_flags.get("context") or None,
    )


def parse_vars(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name:
            raise typer.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--var")
        values[name] = value
    return values


def load(ref: str, var: list[str] | None = None) -> Lesson:
    return find_lesson(ref, values=parse_vars(var or []))


def store() -> ProgressStore:
    return ProgressStore()


VarOption = Annotated[
    list[str] | None,
    typer.Option(
        "--var",
        metavar="NAME=VALUE",
        help="Set a lesson variable, e.g. --var image=hostnet/nginx-standin (repeatable).",
    ),
]
LessonArg = Annotated[str, typer.Argument(metavar="LESSON", help="Lesson number or id, e.g. 1.")]
LabOption = Annotated[
    str | None,
    typer.Option("--lab", help="Run on a registered lab VM over SSH (see `lab list`)."),
]
TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target", metavar="URL", help="Run on a lab over SSH: ssh://user@host:port (key pinned)."
    ),
]
