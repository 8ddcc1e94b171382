"""Block Kit building blocks: escaped text, sections, buttons, preformatted output.

Pure functions; nothing here talks to Slack or decides what passed. The
messages are built from these in ``messages.py`` (a lesson's thread) and
``replies.py`` (answers to ``/hostnet`` commands).

Slack's limits kept here: a section's text ≤ 3,000 characters, ≤ 50 blocks per
message, a button's text ≤ 75 characters. Command output goes into
``rich_text_preformatted`` (no mrkdwn escaping needed), cut with "… N more lines".
"""

from __future__ import annotations

from typing import Any

from .redact import redact

Block = dict[str, Any]
Message = tuple[str, list[Block]]

SECTION_MAX = 3000
BLOCKS_MAX = 50
BUTTON_MAX = 75

RUN, HINT, SKIP, QUIZ = "hostnet.run", "hostnet.hint", "hostnet.skip", "hostnet.quiz"
PREDICT = "hostnet.predict"


# -- building blocks --------------------------------------------------------------------


def esc(text: str) -> str:
    """Escape the three characters mrkdwn treats specially (``<!channel>`` pings no one).

    Secrets are redacted first: escaped, ``password=p<ss`` would become
    ``password=p&lt;ss`` and only ``p&lt`` be redacted, leaking ``ss``.
    """
    return redact(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """Redacted and at most ``limit`` characters, as Slack will get it.

    ``slack.py`` redacts every text again; a redaction marker cut in half here
    would be replaced by a whole (longer) one there, past ``limit``: cut earlier.
    """
    text = redact(text)
    end = limit - 1
    while len(text) > limit:
        cut = text[:end] + "…"
        grown = len(redact(cut)) - limit
        if grown <= 0:
            return redact(cut)
        end = max(0, end - grown)
    return text


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_MAX)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, SECTION_MAX)}]}


def preformatted(text: str) -> Block:
    return {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_preformatted",
                "elements": [{"type": "text", "text": cut(text, SECTION_MAX) or " "}],
            }
        ],
    }


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    data: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": cut(text, BUTTON_MAX), "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        data["style"] = style
    return data


def bounded(blocks: list[Block]) -> list[Block]:
    if len(blocks) <= BLOCKS_MAX:
        return blocks
    return [*blocks[: BLOCKS_MAX - 1], context(f"… {len(blocks) - BLOCKS_MAX + 1} more")]


def mention(user: str) -> str:
    return f"<@{user}>"


def duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def problem(message: str, hint: str | None = None, *, title: str = "⚠️") -> Message:
    text = f"{title} {message}"
    body = f"{title} {esc(message)}"
    if hint:
        body += f"\n>*hint:* {esc(hint)}"
    return text, [section(body)]
