"""One workshop round (bench/workshop.py): a fresh bot, N learners at once, measured.

The bot is the real bolt App built as ``hostnet-bot`` builds it, its Web API
pointed at the stand-in for Slack of hostnet.bot.testing, over TLS as to Slack
(a test authority's certificate, trusted through ``SSL_CERT_FILE`` with the
system's CAs: the bot pays for its contexts and handshakes; ``HOSTNET_BENCH_SLACK=http``
for plain HTTP, as the bench spoke before), on loopback or, with
``HOSTNET_BENCH_SLACK_RTT_MS``, that many milliseconds of round trip away
(hostnet.bot.testing.relay), as Slack is from a bot; the learners are
hostnet.bot.testing.workshop's. After the round, what is wrong is reported:
a learner who did not finish (with their evidence), a broken invariant of the
bot's state, a lab still leased, and the near misses (an ephemeral, a ⚠️, a
failed Web API call).
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop_labs import Sampler, cpu_busy_jiffies, lab_cpu, procs_of, status_kib

from hostnet.bot.testing.fakeslack import FakeSlack
from hostnet.bot.testing.harness import BotHarness, Labs, write_config
from hostnet.bot.testing.tls import StandInAuthority
from hostnet.bot.testing.workshop import learners, play_round, stuck
from hostnet.engine.loader import find_lesson


@dataclass
class Round:
    n: int
    interval: float  # message_interval_seconds
    wall: float = 0.0
    per_learner: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # click on Run → result, every step
    errors: list[str] = field(default_factory=list)
    cpu_busy: float = 0.0  # share of the machine's CPUs busy during the round (anyone's)
    bot_cpu: float = 0.0  # CPU seconds of the bot (this process less the stand-ins below)
    stand_in_cpu: float = 0.0  # CPU seconds of the Slack stand-in and the simulated learners
    lab_cpu: float = 0.0  # CPU seconds of the labs' processes
    peak_kib: dict[str, int] = field(default_factory=dict)  # per lab, during the round
    bot_rss_before: int = 0  # KiB
    bot_rss_peak: int = 0
    bot_rss_after: int = 0
    port_80_taken: bool = False
    posts: int = 0  # chat.postMessage calls
    lab_seconds: float = 0.0  # summed duration of the commands the labs ran
    oddities: list[str] = field(default_factory=list)  # ephemerals, problems, failed calls


def quiz_answers() -> list[int]:
    return [q.answer for q in find_lesson("1").quiz]


def bot_for(labs: list[Any], image: str, interval: float, work: Path) -> tuple[BotHarness, Labs]:
    """A fresh bot whose labs are ``labs`` (netns labs), as ``hostnet-bot`` builds it."""
    folder = Path(tempfile.mkdtemp(prefix=f"round-{len(labs)}-", dir=work))
    config = write_config(
        folder,
        [{"name": lab.name, "ssh_config": str(lab.ssh_config)} for lab in labs],
        allowed_users=["*"],
        variables={"image": image},
        message_interval_seconds=interval,
    )
    targets = Labs()
    return BotHarness(slack_stand_in(work), config, targets), targets


@functools.cache
def _authority(work: Path) -> StandInAuthority:
    authority = StandInAuthority(work / "tls")
    os.environ["SSL_CERT_FILE"] = str(authority.bundle)  # (this process is the bench's own)
    return authority


SLACK_OVER_TLS = os.environ.get("HOSTNET_BENCH_SLACK", "tls") != "http"
SLACK_AWAY = float(os.environ.get("HOSTNET_BENCH_SLACK_RTT_MS") or 0) / 1000  # its round trip


def slack_stand_in(work: Path) -> FakeSlack:
    """The stand-in for Slack: over TLS with a certificate the bot trusts (or plain HTTP),
    on loopback or SLACK_AWAY seconds of round trip away."""
    tls = _authority(work).server_context() if SLACK_OVER_TLS else None
    return FakeSlack(tls=tls, away=SLACK_AWAY)


def run_round(labs: list[Any], n: int, interval: float, work: Path, image: str) -> Round:
    result = Round(n, interval)
    harness, targets = bot_for(labs[:n], image, interval, work)
    fake = harness.fake
    procs = procs_of(labs[:n])
    sampler = Sampler(procs)
    clocks: dict[str, Any] = {}

    def on_go() -> None:  # the clocks start as the learners are let go
        sampler.start()
        clocks["busy"], clocks["labs"] = cpu_busy_jiffies(), lab_cpu(procs)
        clocks["bot"], clocks["wall"] = time.process_time(), time.monotonic()
        clocks["fake"] = fake.cpu

    try:
        harness.settle()
        result.bot_rss_before = status_kib("self", "VmRSS")
        players = play_round(harness, fake, learners(n), quiz_answers(), on_go=on_go)
        result.wall = time.monotonic() - clocks["wall"]
        bot1, labs1, (busy1, total1) = time.process_time(), lab_cpu(procs), cpu_busy_jiffies()
        sampler.stop()
        busy0, total0 = clocks["busy"]
        result.stand_in_cpu = fake.cpu - clocks["fake"] + sum(p.cpu for p in players)
        result.bot_cpu = bot1 - clocks["bot"] - sampler.cpu - result.stand_in_cpu
        result.lab_cpu = sum(v - clocks["labs"].get(k, 0.0) for k, v in labs1.items())
        result.cpu_busy = (busy1 - busy0) / max(1, total1 - total0)
        result.peak_kib = sampler.peak
        result.port_80_taken = sampler.port_80_taken
        result.bot_rss_peak = sampler.bot_peak
        result.bot_rss_after = status_kib("self", "VmRSS")
        result.per_learner = [p.elapsed for p in players]
        result.latencies = [t for p in players for t in p.latencies]
        result.errors = stuck(harness, fake, players)
        for problem in result.errors:  # with the evidence, as it happens
            print(f"workshop, N={n}: {problem}", file=sys.stderr, flush=True)
        result.posts = len(fake.of("chat.postMessage"))
        result.oddities = oddities(fake)
        for odd in result.oddities:  # a near miss: no learner failed, but something did
            print(f"workshop, N={n}: unexpected: {odd}", file=sys.stderr, flush=True)
        result.lab_seconds = sum(seconds for _, seconds in targets.durations)
    finally:
        if sampler.is_alive():
            sampler.stop()
        harness.close()
        fake.close()
    return result


def oddities(fake: FakeSlack) -> list[str]:
    """What a smooth round never shows: an ephemeral reply, a problem (⚠️) in a
    thread, a Web API call that failed."""
    return [
        f"{c.method}: {' '.join(c.text().split())[:200]}"
        for c in list(fake.calls)
        if c.method == "chat.postEphemeral" or ":" in c.method or "⚠️" in c.text()
    ]
