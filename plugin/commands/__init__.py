"""One module per command; each exposes ``register(app)``."""

from __future__ import annotations

from types import ModuleType

import typer

from . import check, doctor, lab, lesson, lessons, netmap, reset, setup, show, validate

# Each command name (and group) → the module that registers it, in --help's order.
COMMANDS: dict[str, ModuleType] = {
    "lessons": lessons,
    "lesson": lesson,
    "check": check,
    "show": show,
    "map": netmap,
    "reset": reset,
    "doctor": doctor,
    "validate": validate,
    "lab": lab,
    "install": setup,
    "uninstall": setup,
    "hints": setup,
}


def register_all(app: typer.Typer, only: str | None = None) -> None:
    """Every command, or only the module of command ``only``."""
    modules = [COMMANDS[only]] if only is not None else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:
        module.register(app)
