"""One module per command; each exposes ``register(app)``."""

from __future__ import annotations

import typer

from . import check, doctor, lab, lesson, lessons, netmap, reset, setup, show, validate


def register_all(app: typer.Typer) -> None:
    for module in (lessons, lesson, check, show, netmap, reset, doctor, validate, lab, setup):
        module.register(app)
