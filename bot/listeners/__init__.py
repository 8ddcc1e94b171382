"""Slack → service: each area registers its listeners (as in bolt-python-starter-template).

Listeners ack at once, turn the payload into one call on the
:class:`~hostnet.bot.service.Service` (found in the request context) and
deliver its reply; they hold no domain logic.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltContext

from ..service import Service
from . import actions, commands, events


def register_listeners(app: App, service: Service) -> None:
    def attach_service(context: BoltContext, next: Callable[[], None]) -> None:
        context["service"] = service
        next()

    app.use(attach_service)
    commands.register(app)
    actions.register(app)
    events.register(app)
