"""Requests as Slack sends them to the bot: signed, with the stand-in workspace's
team, channel and members."""

from __future__ import annotations

import json
import time
import urllib.parse

from slack_sdk.signature import SignatureVerifier

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
BOT_USER = "UBOT"
TEAM = "T0TEST"
CHANNEL = "C0WORKSHOP"
ALICE, BOB, CAROL, MALLORY, TEACHER = "U0ALICE", "U0BOB", "U0CAROL", "U0MALLORY", "U0TEACHER"


def signed_headers(
    body: str, content_type: str, *, timestamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # (None only without a secret)
    return {
        "content-type": content_type,
        "x-slack-signature": signature,
        "x-slack-request-timestamp": ts,
    }


FORM = "application/x-www-form-urlencoded"


def slash_body(user: str, text: str, channel: str, response_url: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "workshop",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/hostnet",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def click_body(
    user: str, action_id: str, value: str, message_ts: str, channel: str, response_url: str
) -> str:
    payload = {
        "type": "block_actions",
        "token": "legacy",
        "api_app_id": "A0APP",
        "team": {"id": TEAM, "domain": "test"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "channel": {"id": channel, "name": "workshop"},
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "message": {"type": "message", "ts": message_ts, "text": "…"},
        "trigger_id": "1.2.3",
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    return "payload=" + urllib.parse.quote(json.dumps(payload))


def mention_body(user: str, text: str, event_id: str, channel: str) -> str:
    ts = f"{time.time():.6f}"
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": {
                "type": "app_mention",
                "user": user,
                "text": text,
                "ts": ts,
                "channel": channel,
                "event_ts": ts,
            },
        }
    )


def describe_request(body: str) -> tuple[str, str]:
    """(user, what) of a request body: a click, a slash command or an event."""
    try:
        if body.startswith("payload="):
            payload = json.loads(urllib.parse.unquote(body[len("payload=") :]))
            action = payload["actions"][0]
            what = f"click {action['action_id']}={action['value']}"
            return payload["user"]["id"], f"{what} on {payload['container']['message_ts']}"
        if body.startswith("{"):
            event = json.loads(body).get("event", {})
            return str(event.get("user")), f"event {event.get('type')}: {event.get('text')}"
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
        return form.get("user_id", "?"), f"{form.get('command')} {form.get('text', '')}"
    except (ValueError, KeyError, IndexError, TypeError):
        return "?", f"a request of {len(body)} bytes"
