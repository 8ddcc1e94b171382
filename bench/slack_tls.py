"""What one Slack Web API call costs the bot's process, over TLS as to Slack itself.

The stand-in for Slack's Web API (hostnet.bot.testing) answers on 127.0.0.1 over
TLS with a certificate of a test authority; the client trusts it as it trusts
Slack's, through ``SSL_CERT_FILE``: the system's CA certificates with the test
authority's added. Each side posts the same message, alternating in batches:

* "ours" is the bot's client (``hostnet.bot.slack.web_client``: one TLS context);
* "theirs" is slack_sdk's ``WebClient`` as it comes (a new context per call).

Both still make a new connection, and so a TLS handshake, per call.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from unittest import mock

BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "*Step 2 of 5* ✅ passed\n" + "x" * 300}},
    {"type": "actions", "elements": [
        {"type": "button", "action_id": f"a{i}", "value": "v", "text": {"type": "plain_text", "text": "Run"}}
        for i in range(3)
    ]},
]  # fmt: skip


def cpu_per_call(calls: int = 20, batches: int = 7) -> tuple[float, float]:
    """Median CPU seconds per call of this thread: (the bot's client, slack_sdk's default)."""
    from slack_sdk import WebClient

    from hostnet.bot.slack import web_client
    from hostnet.bot.testing.fakeslack import FakeSlack
    from hostnet.bot.testing.requests import BOT_TOKEN, CHANNEL
    from hostnet.bot.testing.tls import StandInAuthority

    with tempfile.TemporaryDirectory(prefix="hostnet-bench-tls-") as tmp:
        authority = StandInAuthority(Path(tmp))
        fake = FakeSlack(tls=authority.server_context())
        with mock.patch.dict(os.environ, {"SSL_CERT_FILE": str(authority.bundle)}):
            try:
                ours = web_client(BOT_TOKEN, base_url=fake.api_url)
                theirs = WebClient(token=BOT_TOKEN, base_url=fake.api_url, timeout=30)

                def batch(client: WebClient) -> Callable[[], float]:
                    def run() -> float:
                        began = time.thread_time()
                        for _ in range(calls):
                            client.chat_postMessage(channel=CHANNEL, text="t", blocks=BLOCKS)
                        return (time.thread_time() - began) / calls

                    return run

                a, b = batch(ours), batch(theirs)
                a(), b()  # warm-up
                times_a, times_b = [], []
                for _ in range(batches):
                    times_a.append(a())
                    times_b.append(b())
                return statistics.median(times_a), statistics.median(times_b)
            finally:
                fake.close()
