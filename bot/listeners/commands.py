"""``/hostnet help | lessons | start N | stop | labs | progress`` (see ``verbs.py``)."""

from __future__ import annotations

from logging import Logger

from slack_bolt import Ack, App, BoltContext, Respond

from ..blocks import Message
from ..parts import Parts
from .sorry import sorry


def register(app: App) -> None:
    app.command("/hostnet")(hostnet_command)


def hostnet_command(
    ack: Ack, command: dict[str, str], respond: Respond, context: BoltContext, logger: Logger
) -> None:
    ack()
    parts: Parts = context["hostnet"]

    def reply(message: Message) -> None:
        text, blocks = parts.core.slack.clean(message)
        respond(text=text, blocks=blocks or None, response_type="ephemeral", replace_original=False)

    try:
        answer = parts.verbs.dispatch(
            command["user_id"], command["channel_id"], command.get("text", ""), reply
        )
    except Exception as exc:
        answer = (sorry(logger, f"/hostnet {command.get('text', '')}", exc), [])
    if answer is not None:
        reply(answer)
