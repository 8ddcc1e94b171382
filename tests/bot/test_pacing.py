"""Posting pace: a quiet channel may burst, a busy one gets about one message per interval."""

from __future__ import annotations

import time

from slack_sdk import WebClient

from hostnet.bot.slack import BURST, Slack


def test_burst_then_steady_rate_per_channel() -> None:
    slack = Slack(WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/"), min_interval=0.2)
    started = time.monotonic()
    for _ in range(BURST):
        slack._pace("C1")
    assert time.monotonic() - started < 0.1  # a step's result and the next step: at once
    slack._pace("C1")
    assert 0.15 < time.monotonic() - started < 0.4  # then the channel's steady rate
    other = time.monotonic()
    slack._pace("C2")  # another channel does not wait for C1
    assert time.monotonic() - other < 0.05
