"""What the listeners call: the bot's parts, found as ``context["hostnet"]``."""

from __future__ import annotations

from dataclasses import dataclass

from .clicks import Clicks
from .core import BotCore
from .recovery import Recovery
from .verbs import Verbs


@dataclass(frozen=True)
class Parts:
    core: BotCore
    verbs: Verbs
    clicks: Clicks
    recovery: Recovery
