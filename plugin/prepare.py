"""What a command prepares before it runs: the lesson, the progress store, the target.

Standard library only at import, no Typer: ``lesson N --auto`` runs without the
Typer app (:mod:`.lessonrun`). A bad value raises Typer's ``BadParameter`` (Typer
is imported for it then), which the Typer app shows as a usage error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .consoles import state

if TYPE_CHECKING:
    from hostnet.engine.model import Lesson
    from hostnet.engine.progress import ProgressStore
    from hostnet.engine.targets import Target


def _bad(message: str, hint: str) -> Exception:
    import typer

    return typer.BadParameter(message, param_hint=hint)


def make_target(lab: str | None = None, url: str | None = None) -> Target:
    """A lab over SSH (``--lab``/``--target``), else the engine the user's ``docker``
    would use with the same global flags."""
    if lab and url:
        raise _bad("give --lab or --target, not both", "--lab")
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


def var_error(pair: str) -> str | None:
    """Why ``pair`` is not a ``--var`` (NAME=VALUE), or None."""
    name, eq, _ = pair.partition("=")
    return None if eq and name else f"expected NAME=VALUE, got {pair!r}"


def parse_vars(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        if (why := var_error(pair)) is not None:
            raise _bad(why, "--var")
        name, _, value = pair.partition("=")
        values[name] = value
    return values


def load(ref: str, var: list[str] | None = None) -> Lesson:
    from hostnet.engine.lessoncache import find_lesson  # validated once per change of the file

    return find_lesson(ref, values=parse_vars(var or []))


def store() -> ProgressStore:
    from hostnet.engine.progress import ProgressStore

    return ProgressStore()
