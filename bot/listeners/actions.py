"""The buttons of step and knowledge-check messages (Run on my lab, Hint, Skip, a choice)."""

from __future__ import annotations

import re
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from hostnet.engine.errors import first_line

from ..service import Service

ACTIONS = re.compile(r"^hostnet\.(run|hint|skip|quiz\.\d+)$")


def register(app: App) -> None:
    app.action(ACTIONS)(hostnet_button)


def hostnet_button(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, logger: Logger
) -> None:
    ack()
    service: Service = context["service"]
    try:
        user, channel = body["user"]["id"], body["channel"]["id"]
    except (KeyError, TypeError):
        # Never raise after ack(): bolt then resets the ack and answers 404 after 3 s.
        logger.warning("ignored a click without a user or channel (fields: %s)", sorted(body))
        return
    try:
        service.click(
            user,
            channel,
            action["action_id"],
            action.get("value", ""),
            body["container"].get("message_ts") or body["message"]["ts"],
        )
    except Exception as exc:
        logger.exception("button %s", action.get("action_id"))
        service.slack.ephemeral(channel, user, f"Sorry, that did not work: {first_line(exc)}")
