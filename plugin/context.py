"""What every command shares: the docker flags we were called with, consoles, helpers,
the options several commands take.

Nothing heavy is imported here: Typer builds every command's options from this
module on every start (``--help``, shell completion on each Tab), so Rich, the
lesson model and the targets are imported only when a command uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from hostnet.engine.model import Lesson
    from hostnet.engine.progress import ProgressStore
    from hostnet.engine.targets import Target

from .consoles import LEARNER, State, err, out, state

__all__ = ["LEARNER", "State", "err", "out", "state"]


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
    from hostnet.engine.targets import LocalTarget

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
    from hostnet.engine.lessoncache import find_lesson  # validated once per change of the file

    return find_lesson(ref, values=parse_vars(var or []))


def store() -> ProgressStore:
    from hostnet.engine.progress import ProgressStore

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
