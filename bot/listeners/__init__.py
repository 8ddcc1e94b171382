"""Slack → the bot: each area registers its listeners (as in bolt-python-starter-template).

Listeners ack at once, turn the payload into one call on the bot's parts
(found in the request context as ``context["hostnet"]``) and deliver its
reply; they hold no domain logic.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltContext

from ..parts import Parts
from . import actions, commands, events


def register_listeners(app: App, parts: Parts) -> None:
    def attach(context: BoltContext, next: Callable[[], None]) -> None:
        context["hostnet"] = parts
        next()

    app.use(attach)
    commands.register(app)
    actions.register(app)
    events.register(app)
