"""The buttons of step and knowledge-check messages: one listener per action id."""

from __future__ import annotations

import re
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_bolt import Ack, App, BoltContext

from ..blocks import HINT, PREDICT, QUIZ, RUN, SKIP
from ..clicks import Click, Clicks
from ..parts import Parts
from .sorry import sorry

Handler = Callable[[Clicks, Click], None]


def register(app: App) -> None:
    app.action(RUN)(_listener(Clicks.run))
    app.action(SKIP)(_listener(Clicks.skip))
    app.action(HINT)(_listener(Clicks.hint))
    app.action(re.compile(rf"^{re.escape(QUIZ)}\.\d+$"))(_listener(Clicks.answer))
    app.action(re.compile(rf"^{re.escape(PREDICT)}\.\d+$"))(_listener(Clicks.predict))


def _listener(handle: Handler) -> Callable[..., None]:
    def listener(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, logger: Logger
    ) -> None:
        ack()
        parts: Parts = context["hostnet"]
        try:
            user, channel = body["user"]["id"], body["channel"]["id"]
            message_ts = body["container"].get("message_ts") or body["message"]["ts"]
        except (KeyError, TypeError, AttributeError):
            # Never raise after ack(): bolt then resets the ack and answers 404 after 3 s.
            logger.warning(
                "ignored a click without a user, channel or message (fields: %s)", sorted(body)
            )
            return
        try:
            handle(parts.clicks, Click(user, channel, str(action.get("value", "")), message_ts))
        except Exception as exc:
            text = sorry(logger, f"button {action.get('action_id')}", exc)
            parts.core.slack.ephemeral(channel, user, text)

    listener.__name__ = f"hostnet_{handle.__name__}_clicked"
    return listener
