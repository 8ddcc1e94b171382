"""Who may use the bot, and where: the allowed learners and channels, the instructors."""

from __future__ import annotations

from .blocks import Message, problem
from .config import BotConfig


class Access:
    def __init__(self, config: BotConfig) -> None:
        self._config = config

    def refusal(self, user: str, channel: str) -> Message | None:
        """Why ``user`` may not use the bot in ``channel``; None when they may."""
        if not self._config.user_allowed(user):
            return problem(
                "Sorry, you are not on this bot's list of learners, so I cannot run lessons "
                f"for you. Ask your instructor to add your Slack member ID ({user}).",
                title="🔒",
            )
        if not self._config.channel_allowed(channel):
            allowed = self._config.allowed_channels
            channels = ", ".join(f"<#{c}>" for c in allowed)
            plural = "s" if len(allowed) > 1 else ""
            return problem(
                f"Sorry, I only run lessons in the workshop channel{plural}: {channels}.",
                title="🔒",
            )
        return None

    def is_instructor(self, user: str) -> bool:
        return self._config.is_instructor(user)
