"""``@hostnet start lesson 1``: the slash command's verbs, by mention."""

from __future__ import annotations

import logging
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from ..blocks import Message
from ..parts import Parts
from .sorry import sorry

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_mention")(hostnet_mention)


def hostnet_mention(
    ack: Ack, body: dict[str, Any], event: dict[str, Any], context: BoltContext, logger: Logger
) -> None:
    ack()
    parts: Parts = context["hostnet"]
    user, channel = event.get("user", ""), event.get("channel")
    if not isinstance(channel, str):
        # Never raise after ack(): bolt then resets the ack and answers 404 after 3 s.
        logger.warning("ignored a mention without a channel (fields: %s)", sorted(event))
        return
    event_id = body.get("event_id")
    thread_ts = event.get("thread_ts")

    def reply(message: Message) -> None:
        parts.core.slack.ephemeral(channel, user, *message, thread_ts=thread_ts)

    words = [
        w
        for w in str(event.get("text", "")).split()
        if not (w.startswith("<@") and w.endswith(">"))
    ]
    try:
        if isinstance(event_id, str) and not parts.core.store.first_time(event_id):
            log.info("event %s was handled before (a retry): ignored", event_id)
            return
        answer = parts.verbs.dispatch(user, channel, " ".join(words), reply)
    except Exception as exc:
        answer = (sorry(logger, f"mention {event_id}", exc), [])
    if answer is not None:
        reply(answer)
