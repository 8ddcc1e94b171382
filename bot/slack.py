"""The few Slack Web API calls the bot makes, paced and redacted.

* about one message per second per channel (Slack's guideline for
  ``chat.postMessage``); a 429 is retried after its ``Retry-After`` by the
  client's ``RateLimitErrorRetryHandler`` (see :func:`web_client`);
* every ``text`` in a message, blocks included, passes through
  :func:`~hostnet.bot.redact.redact` first;
* one TLS context serves every call, and the connections to the Web API are
  kept open between calls (see :func:`web_client`).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from .keepalive import reuse_connections
from .redact import redact

log = logging.getLogger(__name__)
Blocks = list[dict[str, Any]]


def web_client(token: str, *, base_url: str | None = None) -> WebClient:
    """A WebClient that waits out rate limits instead of failing, with one TLS context
    and its connections to the Web API kept open between calls.

    Given no context, slack_sdk opens each call with urllib, whose HTTPS connection
    then makes a new default context and reads the system's CA certificates again:
    a call cost the bot 24 to 31 ms of CPU here, against 1.6 to 2.3 ms with one
    context (bench/slack_tls.py), and a learner's lesson 1 makes 33. The context
    made here is that same default (the system's CAs, or ``SSL_CERT_FILE`` and
    ``SSL_CERT_DIR``; certificate and host name checked), made once.

    urllib would also open a connection, with its TLS handshake, per call;
    :mod:`hostnet.bot.keepalive` keeps them open instead, through urllib's default
    opener, which slack_sdk uses when its ``ssl`` is None. bolt's ``respond`` and the
    file uploads go through that opener too, with the same context. Through a proxy
    (``HTTPS_PROXY``), slack_sdk opens its own connections: it is given the context.
    """
    context = ssl.create_default_context()
    kwargs: dict[str, Any] = {"token": token, "timeout": 30}
    if base_url is not None:
        kwargs["base_url"] = base_url
    client = WebClient(**kwargs)
    if client.proxy:
        client.ssl = context
    else:
        reuse_connections(client.base_url, context)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


class Slack:
    def __init__(self, client: WebClient, *, min_interval: float = 1.0) -> None:
        self.client = client
        self.min_interval = min_interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def post(
        self, channel: str, text: str, blocks: Blocks | None = None, *, thread_ts: str | None = None
    ) -> str:
        """Post a message (in ``thread_ts``'s thread when given); returns its ts."""
        self._pace(channel)
        kwargs: dict[str, Any] = {"channel": channel, "text": redact(text)}
        if blocks is not None:
            kwargs["blocks"] = _redact_blocks(blocks)
        if thread_ts is not None:
            kwargs["thread_ts"] = thread_ts
        response = self.client.chat_postMessage(**kwargs)
        return str(response["ts"])

    def update(self, channel: str, ts: str, text: str, blocks: Blocks | None = None) -> None:
        kwargs: dict[str, Any] = {"channel": channel, "ts": ts, "text": redact(text)}
        kwargs["blocks"] = _redact_blocks(blocks) if blocks is not None else []
        self.client.chat_update(**kwargs)

    def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: Blocks | None = None,
        *,
        thread_ts: str | None = None,
    ) -> None:
        """A message only ``user`` sees; failures are logged, never raised."""
        kwargs: dict[str, Any] = {"channel": channel, "user": user, "text": redact(text)}
        if blocks is not None:
            kwargs["blocks"] = _redact_blocks(blocks)
        if thread_ts is not None:
            kwargs["thread_ts"] = thread_ts
        try:
            self.client.chat_postEphemeral(**kwargs)
        except SlackApiError as exc:
            log.warning("cannot send an ephemeral message in %s: %s", channel, api_error(exc))

    def upload(
        self,
        channel: str,
        data: bytes,
        *,
        filename: str,
        title: str,
        alt_text: str,
        thread_ts: str | None = None,
    ) -> None:
        """Share a file (an image) in the channel, in ``thread_ts``'s thread: the Web
        API's upload (``files.getUploadURLExternal``, the bytes to the URL it gives,
        ``files.completeUploadExternal``). ``alt_text`` is what a screen reader says."""
        self._pace(channel)
        self.client.files_upload_v2(
            channel=channel,
            thread_ts=thread_ts,
            content=data,
            filename=filename,
            title=redact(title),
            alt_txt=redact(alt_text),
        )

    @staticmethod
    def clean(message: tuple[str, Blocks]) -> tuple[str, Blocks]:
        """A message as it may leave the bot by another way (``respond``)."""
        text, blocks = message
        return redact(text), _redact_blocks(blocks)

    def _pace(self, channel: str) -> None:
        """About one message per second per channel, with short bursts (as Slack allows).

        A generic cell-rate schedule per channel: ``_next`` is when the channel's
        next message is due at the steady rate; up to BURST messages may be
        early. A learner's step result and next step (two posts) go out at
        once, and only a busy channel waits.
        """
        if self.min_interval <= 0:
            return
        with self._lock:
            now = time.monotonic()
            due = self._next.get(channel, now)
            at = max(now, due - (BURST - 1) * self.min_interval)
            self._next[channel] = max(due, at) + self.min_interval
        if at > now:
            time.sleep(at - now)


BURST = 4  # messages a quiet channel may send at once


def _redact_blocks(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: redact(v) if k == "text" and isinstance(v, str) else _redact_blocks(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_blocks(v) for v in value]
    return value


def api_error(exc: SlackApiError) -> str:
    """Slack's error code (``not_in_channel``, …) of a failed call."""
    try:
        return str(exc.response["error"])
    except (KeyError, TypeError):
        return str(exc)
