"""``@hostnet start lesson 1``: the slash command's verbs, by mention."""

from __future__ import annotations

from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from hostnet.engine.errors import first_line

from ..service import Service


def register(app: App) -> None:
    app.event("app_mention")(hostnet_mention)


def hostnet_mention(
    ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext, logger: Logger
) -> None:
    ack()
    service: Service = context["service"]
    user, channel = event.get("user", ""), event.get("channel")
    if not isinstance(channel, str):
        # Never raise after ack(): bolt then resets the ack and answers 404 after 3 s.
        logger.warning("ignored a mention without a channel (fields: %s)", sorted(event))
        return
    try:
        service.mention(
            user,
            channel,
            event.get("text", ""),
            ts=event["ts"],
            thread_ts=event.get("thread_ts"),
            event_id=body.get("event_id"),
        )
    except Exception as exc:
        logger.exception("mention %s", body.get("event_id"))
        service.slack.ephemeral(channel, user, f"Sorry, that did not work: {first_line(exc)}")
