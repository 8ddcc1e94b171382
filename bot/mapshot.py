"""The network map in a lesson's thread: a ``map: true`` step's picture, posted
after its result as a PNG (the Web API's file upload) whose alt text says in
words what it shows."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from hostnet.engine.events import NetworkMapped
from hostnet.engine.netmap.words import describe

from .blocks import esc, section
from .core import BotCore
from .picture import PictureError, map_png
from .slack import api_error
from .state import Session

log = logging.getLogger(__name__)


def post_map(core: BotCore, s: Session, shown: NetworkMapped) -> None:
    """Upload the picture of ``shown`` into the thread; say why not when it cannot be."""
    if shown.map is None:
        _say(core, s, f"The network map could not be read: {shown.problem or 'no answer'}")
        return
    try:
        png = map_png(shown.map)
    except PictureError as exc:
        log.warning("cannot draw the network map: %s", exc)
        _say(core, s, f"The network map could not be drawn: {exc}")
        return
    lab = s.lab or shown.map.target
    try:
        core.slack.upload(
            s.channel,
            png,
            filename=f"network-step-{shown.index}.png",
            title=f"The network of {lab} after step {shown.index}",
            alt_text=describe(shown.map),
            thread_ts=s.thread_ts,
        )
    except SlackApiError as exc:
        log.warning("cannot upload the network map in %s: %s", s.channel, api_error(exc))
        _say(core, s, f"I could not share the network map here ({api_error(exc)}).")


def _say(core: BotCore, s: Session, text: str) -> None:
    core.post_quietly(s, (text, [section(esc(text))]))
