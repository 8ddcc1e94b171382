"""What every command shares: the docker flags we were called with, consoles, helpers,
the options several commands take.

Nothing heavy is imported here: Typer builds every command's options from this
module on every start (``--help``, shell completion on each Tab), so Rich, the
lesson model and the targets are imported only when a command uses them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .consoles import LEARNER, State, err, out, state
from .prepare import load, make_target, parse_vars, store

__all__ = ["LEARNER", "State", "err", "load", "make_target", "out", "parse_vars", "state", "store"]


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
