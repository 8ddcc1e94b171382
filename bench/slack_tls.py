"""What one Slack Web API call costs the bot, over TLS as to Slack itself.

The stand-in for Slack's Web API (hostnet.bot.testing) answers on 127.0.0.1 over
TLS with a certificate of a test authority; the client trusts it as it trusts
Slack's, through ``SSL_CERT_FILE``: the system's CA certificates with the test
authority's added. The stand-in keeps connections open, as Slack does. Three
clients post the same message, alternating in batches:

* "kept": the bot's client (``hostnet.bot.slack.web_client``): one TLS context,
  connections kept open between calls (``hostnet.bot.keepalive``);
* "one context": ``WebClient(ssl=<one context>)``, the bot's client before it kept
  connections: a new connection, and so a TLS handshake, per call;
* "as it comes": slack_sdk's ``WebClient`` with urllib's own opener: a new
  connection and a new TLS context (the system's CAs read again) per call.

:func:`cpu_per_call` measures the CPU of the calling thread. :func:`wall_per_call`
measures the time a call takes when the stand-in is a round trip away
(``hostnet.bot.testing.relay``: a new connection there costs one round trip less
than on a real network, as TCP's own handshake is not held).
"""

from __future__ import annotations

import os
import ssl
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Step 2 of 5* ✅ passed\n" + "x" * 300}},
    {"type": "actions", "elements": [
        {"type": "button", "action_id": f"a{i}", "value": "v", "text": {"type": "plain_text", "text": "Run"}}
        for i in range(3)
    ]},
]  # fmt: skip


@contextmanager
def stand_in(away: float = 0.0) -> Iterator[Any]:
    """The stand-in over TLS (``away`` seconds of round trip), trusted through
    ``SSL_CERT_FILE`` while inside."""
    from hostnet.bot.testing.fakeslack import FakeSlack
    from hostnet.bot.testing.tls import StandInAuthority

    with tempfile.TemporaryDirectory(prefix="hostnet-bench-tls-") as tmp:
        authority = StandInAuthority(Path(tmp))
        fake = FakeSlack(tls=authority.server_context(), away=away)
        try:
            with mock.patch.dict(os.environ, {"SSL_CERT_FILE": str(authority.bundle)}):
                yield fake
        finally:
            fake.close()


def clients(api_url: str) -> dict[str, Callable[[], Any]]:
    """Each client, as a function that makes it ready for a batch and returns it."""
    from slack_sdk import WebClient

    from hostnet.bot.keepalive import reuse_connections
    from hostnet.bot.slack import web_client
    from hostnet.bot.testing.requests import BOT_TOKEN

    kept = web_client(BOT_TOKEN, base_url=api_url)  # (it installs the keep-alive opener)
    context = ssl.create_default_context()
    one = WebClient(token=BOT_TOKEN, base_url=api_url, timeout=30, ssl=context)
    plain = WebClient(token=BOT_TOKEN, base_url=api_url, timeout=30)

    def as_kept() -> Any:
        reuse_connections(api_url, context)  # the keep-alive opener (again)
        return kept

    def as_it_comes() -> Any:
        urllib.request.install_opener(None)  # urllib's own opener, until the next "kept"
        return plain

    return {"kept": as_kept, "one context": lambda: one, "as it comes": as_it_comes}


def _alternate(
    batch: Callable[[Any], float], made: dict[str, Callable[[], Any]], batches: int
) -> dict[str, float]:
    """The median of each client's batches, the clients taking turns."""
    for make in made.values():  # warm-up
        batch(make())
    times: dict[str, list[float]] = {name: [] for name in made}
    for _ in range(batches):
        for name, make in made.items():
            times[name].append(batch(make()))
    return {name: statistics.median(values) for name, values in times.items()}


def _batch(clock: Callable[[], float], calls: int) -> Callable[[Any], float]:
    """A batch of ``calls`` posts by one client, as ``clock``'s seconds per call."""
    from hostnet.bot.testing.requests import CHANNEL

    def batch(client: Any) -> float:
        began = clock()
        for _ in range(calls):
            client.chat_postMessage(channel=CHANNEL, text="t", blocks=BLOCKS)
        return (clock() - began) / calls

    return batch


def cpu_per_call(calls: int = 20, batches: int = 7) -> dict[str, float]:
    """Median CPU seconds per call of the calling thread, per client."""
    with stand_in() as fake:
        return _alternate(_batch(time.thread_time, calls), clients(fake.api_url), batches)


def wall_per_call(rtt: float = 0.040, calls: int = 10, batches: int = 3) -> dict[str, float]:
    """Median seconds per call with the stand-in ``rtt`` away: kept vs one context."""
    with stand_in(away=rtt) as fake:
        made = clients(fake.api_url)
        del made["as it comes"]  # (the same round trips as "one context")
        return _alternate(_batch(time.monotonic, calls), made, batches)
