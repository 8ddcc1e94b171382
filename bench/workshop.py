"""Workshop scale: N learners take lesson 1 through the Slack bot at the same time,
each on a netns lab of their own (N = 1, 2, 4, 8); and the soak: many rounds, one bot.

    .venv/bin/python bench/workshop.py               # print the section (Markdown)
    .venv/bin/python bench/workshop.py --sizes 1,2   # fewer rounds
    .venv/bin/python bench/workshop.py --soak 20 --size 8   # 20 rounds of 8, one bot

``bench/run.py`` runs this file in a process of its own, so the bot's memory is
the bot's alone. Each round (``workshop_round.py``) builds the bot as
``hostnet-bot`` does, its Web API pointed at the local stand-in for Slack of
hostnet.bot.testing; every learner (hostnet.bot.testing.workshop) types
``/hostnet start 1``, clicks Run on each of the 5 steps as soon as it is
offered, and answers the knowledge check. Each step runs on the learner's lab
over SSH. All learners share one channel, as in a workshop. After every round
the bot's state invariants must hold and every lab must be free.

The labs (netns.up) are made before any clock starts, in a temporary base
directory, and removed at the end whatever happens; the section checks that
nothing of them is left (namespaces, veths, processes, files) and that the
host's own port 80 was never taken. How memory and CPU are counted:
``workshop_labs.py``; the report: ``workshop_report.py``.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop_labs import (
    LabProcs,
    by_hand,
    host_port_80_listening,
    lab_memory,
    lab_memory_by_program,
    lab_pids,
    procs_of,
    status_kib,
)
from workshop_report import Outcome, report
from workshop_round import Round, bot_for, quiz_answers, run_round

from hostnet.bot.testing.fakeslack import FakeSlack
from hostnet.bot.testing.workshop import Learner, learners, play_round, stuck

IMAGE = os.environ.get("HOSTNET_BENCH_IMAGE", "hostnet/nginx-standin:latest")
SIZES = (1, 2, 4, 8)
PACED = (1, 4)  # run again with the shipped pacing of one message per second per channel

__all__ = [
    "LabProcs",
    "Learner",
    "Outcome",
    "Round",
    "main",
    "measure",
    "report",
    "run_round",
    "section",
]


def _slack_stand_in() -> FakeSlack:
    """The stand-in for Slack that learners wait on (bench/replicas.py uses it too)."""
    return FakeSlack()


# ------------------------------------------------------------------ labs


def _leftovers(made: list[Any], base: Path) -> list[str]:
    """Whatever of the labs in ``made`` still exists."""
    from hostnet.engine.labs import netns

    left = []
    for lab in made:
        if lab.netns.exists():
            left.append(f"netns {lab.name}")
        if Path("/sys/class/net", lab.host_interface).exists():
            left.append(f"interface {lab.host_interface}")
        if lab.run_dir.exists():
            left.append(str(lab.run_dir))
    pids = lab_pids([LabProcs(lab.name, [lab.directory, lab.run_dir], None) for lab in made])
    left += [f"process {pid} of {name}" for name, found in pids.items() for pid in sorted(found)]
    if base.exists() and any(base.iterdir()):
        left.append(f"files in {base}")
    default_base = netns.default_base()
    left += [f"{lab.name} in {default_base}" for lab in made if (default_base / lab.name).exists()]
    return left


def missing_prerequisites() -> str | None:
    from hostnet.engine.labs import netns

    if os.geteuid() != 0:
        return "needs root (netns labs)"
    if not Path(netns.SSHD).exists():
        return "needs openssh-server (/usr/sbin/sshd)"
    for tool in ("ip", "nsenter", "ssh-keygen", "dockerd", "docker"):
        if shutil.which(tool) is None:
            return f"needs `{tool}`"
    res = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True)
    if res.returncode != 0:
        return f"needs the image {IMAGE} in the host's engine (scripts/build-standin-image.sh)"
    try:
        import slack_bolt  # noqa: F401
    except ImportError:
        return "needs the bot extra (pip install '.[bot]')"
    return None


@dataclass
class LabSet:
    labs: list[Any] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # once removed: what is left of them


@contextmanager
def netns_labs(count: int) -> Iterator[LabSet]:
    """``count`` netns labs, made before any clock starts (lab up is measured in
    bench/run.py) and removed afterwards whatever happens."""
    from hostnet.engine.labs import netns

    base = Path(tempfile.mkdtemp(prefix="hostnet-workshop-"))
    tag = secrets.token_hex(2)
    made = LabSet()
    try:
        for i in range(count):
            made.labs.append(netns.up(f"ws-{tag}-{i}", image=IMAGE, base=base))
        yield made
    finally:
        for lab in made.labs:
            try:
                netns.down(lab.name, base=base)
            except Exception as exc:
                print(f"workshop: cannot remove lab {lab.name}: {exc}", file=sys.stderr)
        made.leftovers = _leftovers(made.labs, base)
        if not made.leftovers:
            shutil.rmtree(base, ignore_errors=True)


def measure(
    sizes: tuple[int, ...], repeats: int, paced_sizes: tuple[int, ...], interval: float
) -> Outcome:
    began = time.monotonic()
    count = max((*sizes, *paced_sizes))
    work = Path(tempfile.mkdtemp(prefix="hostnet-workshop-bot-"))
    rounds: dict[int, list[Round]] = {n: [] for n in sizes}
    paced: list[Round] = []
    port_80_before = host_port_80_listening()
    bot_rss_start = status_kib("self", "VmRSS")
    try:
        with netns_labs(count) as made:
            labs, procs = made.labs, procs_of(made.labs)
            idle_rss, idle_pss = lab_memory(procs), lab_memory(procs, pss=True)
            idle_programs = lab_memory_by_program(procs)
            run_round(labs, 1, 0.0, work, IMAGE)  # warm-up: imports, the labs' first container
            for _ in range(repeats):  # alternating, so a noisy moment hits every N alike
                for n in sizes:
                    rounds[n].append(run_round(labs, n, 0.0, work, IMAGE))
            for n in paced_sizes:
                paced.append(run_round(labs, n, interval, work, IMAGE))
            hand = by_hand(labs[0], procs[:1], IMAGE)
            bot_rss_end = status_kib("self", "VmRSS")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Outcome(
        rounds, paced, idle_rss, idle_pss, idle_programs, bot_rss_start, bot_rss_end,
        made.leftovers, port_80_before, hand, time.monotonic() - began,
    )  # fmt: skip


# ------------------------------------------------------------------ the soak


def soak(rounds: int, size: int) -> int:
    """``rounds`` workshop rounds of ``size`` learners on one bot, as in a day of
    workshops; after each: no learner stuck, the invariants hold, every lab free.
    Prints a line per round as it goes, then the result; returns the stuck learners
    plus the rounds with another problem."""
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="hostnet-soak-bot-"))
    walls: list[float] = []
    stuck_learners = bad_rounds = 0
    try:
        with netns_labs(size) as made:
            harness, _ = bot_for(made.labs, IMAGE, 0.0, work)
            try:
                harness.settle()
                for number in range(1, rounds + 1):
                    t0 = time.monotonic()
                    players = play_round(harness, harness.fake, learners(size), quiz_answers())
                    walls.append(time.monotonic() - t0)
                    problems = stuck(harness, harness.fake, players)
                    stuck_learners += sum(1 for p in players if p.error)
                    bad_rounds += bool(problems)
                    verdict = f"{len(problems)} problem(s)" if problems else "ok"
                    print(f"round {number}: {walls[-1]:.2f} s, {verdict}", flush=True)
                    for problem in problems:
                        print(f"soak, round {number}: {problem}", file=sys.stderr, flush=True)
            finally:
                harness.close()
                harness.fake.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"- soak: {len(walls)} rounds of {size} learners on one bot: {stuck_learners} stuck "
        f"learner(s), {bad_rounds} round(s) with a problem; the rounds took {sum(walls):.0f} s "
        f"(median {statistics.median(walls or [0]):.2f} s, slowest {max(walls or [0]):.2f} s), "
        f"{time.monotonic() - began:.0f} s with the labs; left behind: "
        + ("; ".join(made.leftovers) or "nothing"),
        flush=True,
    )
    return stuck_learners + bad_rounds


# ------------------------------------------------------------------ the section


def section(
    sizes: tuple[int, ...] = SIZES,
    repeats: int = 3,
    paced: tuple[int, ...] = PACED,
    interval: float = 1.0,
) -> str:
    why = missing_prerequisites()
    if why is not None:
        return f"- workshop scale: skipped ({why})"
    return report(measure(sizes, repeats, paced, interval), interval)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so that every lab is taken down (finally)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="learner counts (default %(default)s)"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="rounds per learner count (default %(default)s)"
    )
    parser.add_argument(
        "--paced",
        default=",".join(map(str, PACED)),
        help="learner counts to run once more with pacing ('' for none; default %(default)s)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="the pacing of those runs, message_interval_seconds (default %(default)s)",
    )
    parser.add_argument(
        "--soak", type=int, metavar="ROUNDS", help="play ROUNDS rounds on one bot instead"
    )
    parser.add_argument(
        "--size",
        type=int,
        default=8,
        help="learners (= labs) of a soak round (default %(default)s)",
    )
    args = parser.parse_args()  # fmt: skip
    signal.signal(signal.SIGTERM, _interrupt)
    if args.soak is not None:
        why = missing_prerequisites()
        if why is not None:
            sys.exit(f"soak: skipped ({why})")
        sys.exit(1 if soak(args.soak, args.size) else 0)
    sizes = tuple(int(v) for v in re.split(r"[ ,]+", args.sizes.strip()) if v)
    paced = tuple(int(v) for v in re.split(r"[ ,]+", args.paced.strip()) if v)
    print(section(sizes, args.repeats, paced, args.interval))


if __name__ == "__main__":
    main()
