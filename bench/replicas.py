"""The bot as real processes (``hostnet-bot --http``) on SQLite or PostgreSQL, one
replica or two behind a round-robin "load balancer": every request goes to the
next replica, so consecutive clicks of one learner land on different processes.

    .venv/bin/python bench/replicas.py                     # both sections (Markdown)
    .venv/bin/python bench/replicas.py --skip workshop     # the acks only
    HOSTNET_BENCH_POSTGRES=postgresql://… .venv/bin/python bench/replicas.py

* **Acks under a burst.** 5 learners on 5 local labs click Run on a step that
  takes 2 s; while the 5 steps run, 100 clicks at once (Run again: double
  clicks; and hints) reach the bot over HTTP. Each click's time to its HTTP
  answer (the ack Slack waits for, 3 s at most), as Slack would see it.
* **The workshop at N = 8** (bench/workshop.py's learners): 8 learners take
  lesson 1 at once, each on a netns lab of their own, through one replica or
  two on one PostgreSQL database (and one on SQLite, as shipped).

PostgreSQL: a database of each round's own on the server at
``HOSTNET_BENCH_POSTGRES`` (else ``HOSTNET_TEST_POSTGRES``, else the one
scripts/ensure-postgres.sh starts), dropped afterwards. Rounds alternate
between the set-ups, so a noisy moment hits them alike. Needs what
scripts/test.sh sets up; the workshop section root (netns labs).
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import workshop

DEFAULT_POSTGRES = "postgresql://hostnet_test:hostnet_test@127.0.0.1:5432/postgres"
CLICKS = 100
LEARNERS = 5
SETUPS = (("SQLite", 1), ("PostgreSQL", 1), ("PostgreSQL", 2))
STEP = "sleep 2; echo first"
LESSON = """\
format_version: 1
id: wait
number: 1
title: Wait a moment
summary: One step that takes two seconds.
concepts:
  - {title: Waiting, text: Some commands take a while.}
steps:
  - id: first
    title: Wait
    explanation: Sleep, then print a word.
    command: "STEP"
    hints: [Be patient.]
    checks:
      - kind: output
        contains: first
      - kind: command
        run: "true"
"""


def admin_url() -> str:
    return (
        os.environ.get("HOSTNET_BENCH_POSTGRES")
        or os.environ.get("HOSTNET_TEST_POSTGRES")
        or DEFAULT_POSTGRES
    )


@contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """A fresh database for one round: a SQLite file, or a PostgreSQL database."""
    if backend == "SQLite":
        yield str(folder / "bot.sqlite")
        return
    import psycopg

    admin = admin_url()
    name = "hostnet_b_" + secrets.token_hex(4)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(admin)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def cpu_seconds(pid: int) -> float:
    """A live process's own CPU time (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Balancer:
    """Replicas behind a round-robin load balancer, with the interface of
    bench/workshop.py's harness (``dispatch``, ``click``, ``explain``)."""

    def __init__(self, bots: Sequence[Any], fake: Any, where: str) -> None:
        self.bots = list(bots)
        self.fake = fake
        self.where = where
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> Any:
        with self._lock:
            return self.bots[next(self._turn) % len(self.bots)]

    def dispatch(self, body: str, content_type: str) -> int:
        return int(self.next().post(body))

    def click(self, user: str, call: Any, action_id: str, settle: bool = False) -> int:
        return int(self.next().click(user, call, action_id))

    def logs(self) -> str:
        return "\n".join(f"=== replica {n}\n{b.tail(15)}" for n, b in enumerate(self.bots))

    def explain(self, user: str) -> str:
        from hostnet.bot.store import BotStore
        from hostnet.bot.testing import evidence

        store = BotStore(self.where)
        try:
            return f"{evidence.explain(self.fake, store, None, user)}\n{self.logs()}"
        finally:
            store.close()


@contextmanager
def replicas(config: Path, fake: Any, count: int, env: dict[str, str]) -> Iterator[list[Any]]:
    from hostnet.bot.testing.process import BotProcess

    bots: list[Any] = []
    try:
        for _ in range(count):
            bots.append(BotProcess(config, fake, env))
        yield bots
    finally:
        for bot in bots:
            if bot.alive():
                bot.stop(signal.SIGINT)


# ------------------------------------------------------------------ acks under a burst


def _step_message(fake: Any, user: str) -> Any:
    threads = [
        c.ts for c in fake.posts(top_level=True) if f"<@{user}> is taking this lesson" in c.text()
    ]
    for call in reversed(fake.posts(thread_ts=threads[-1]) if threads else []):
        if "hostnet.run" in call.buttons():
            return call
    return None


def ack_round(backend: str, count: int) -> list[float]:
    """The 100 clicks' times to their HTTP answers, in seconds."""
    from hostnet.bot.testing.fakeslack import FakeSlack
    from hostnet.bot.testing.harness import write_config
    from hostnet.bot.testing.process import bot_env, until

    folder = Path(tempfile.mkdtemp(prefix="hostnet-acks-"))
    (folder / "lessons").mkdir()
    (folder / "lessons" / "01-wait.yaml").write_text(LESSON.replace("STEP", STEP))
    fake = FakeSlack()
    try:
        with database(backend, folder) as where:
            config = write_config(
                folder,
                [{"name": f"lab-{n:02}", "local": True} for n in range(1, LEARNERS + 1)],
                database=where,
                allowed_users=["*"],
                http={"host": "127.0.0.1", "port": 0},
            )
            with replicas(config, fake, count, bot_env(folder / "lessons")) as bots:
                lb = Balancer(bots, fake, where)
                users = [f"U0ACK{n:02}" for n in range(LEARNERS)]
                for user in users:
                    lb.next().slash(user, "start 1")
                steps = {
                    u: until(f"{u}'s step", lambda u=u: _step_message(fake, u), 60, lb.logs)
                    for u in users
                }
                for user in users:  # five steps now run, for 2 s
                    lb.click(user, steps[user], "hostnet.run")
                return _burst(lb, users, steps)
    finally:
        fake.close()
        shutil.rmtree(folder, ignore_errors=True)


def _burst(lb: Balancer, users: list[str], steps: dict[str, Any]) -> list[float]:
    go = threading.Barrier(CLICKS)
    took: list[Any] = [None] * CLICKS

    def click(n: int) -> None:
        user = users[n % len(users)]
        action = "hostnet.run" if n % 2 else "hostnet.hint"
        bot = lb.next()
        go.wait()
        started = time.perf_counter()
        status = bot.click(user, steps[user], action)
        took[n] = time.perf_counter() - started if status == 200 else RuntimeError(status)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(CLICKS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [t for t in took if not isinstance(t, float)]
    if bad:
        raise RuntimeError(f"{len(bad)} of {CLICKS} clicks failed: {bad[:3]}")
    return sorted(took)


# ------------------------------------------------------------------ the workshop, N = 8


@dataclass
class Round:
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    bot_cpu: float = 0.0  # CPU seconds of the replicas, summed
    errors: list[str] = field(default_factory=list)


def workshop_round(labs: list[Any], backend: str, count: int, work: Path) -> Round:
    from hostnet.bot.testing.harness import write_config
    from hostnet.bot.testing.process import bot_env
    from hostnet.engine.loader import find_lesson

    result = Round()
    quiz = [q.answer for q in find_lesson("1").quiz]
    folder = Path(tempfile.mkdtemp(prefix="round-", dir=work))
    fake = workshop._slack_stand_in()
    try:
        with database(backend, folder) as where:
            config = write_config(
                folder,
                [{"name": lab.name, "ssh_config": str(lab.ssh_config)} for lab in labs],
                database=where,
                allowed_users=["*"],
                variables={"image": workshop.IMAGE},
                http={"host": "127.0.0.1", "port": 0},
            )
            with replicas(config, fake, count, bot_env()) as bots:
                lb = Balancer(bots, fake, where)
                cpu0 = sum(cpu_seconds(b.proc.pid) for b in bots)
                learners = [
                    workshop.Learner(f"U0LEARNER{i:02}", lb, fake, quiz) for i in range(len(labs))
                ]
                go = threading.Barrier(len(learners) + 1)
                threads = [
                    threading.Thread(target=lr.take_lesson_1, args=(go,), daemon=True)
                    for lr in learners
                ]
                for t in threads:
                    t.start()
                go.wait()
                started = time.monotonic()
                for t in threads:
                    t.join()
                result.wall = time.monotonic() - started
                result.bot_cpu = sum(cpu_seconds(b.proc.pid) for b in bots) - cpu0
                result.latencies = [t for lr in learners for t in lr.latencies]
                for lr in learners:
                    if lr.error:
                        result.errors.append(lr.error)
                        print(f"replicas workshop: {lr.error}\n{lr.evidence}", file=sys.stderr)
    finally:
        fake.close()
    return result


def measure_workshop(n: int, repeats: int) -> dict[tuple[str, int], list[Round]]:
    from hostnet.engine.labs import netns

    base = Path(tempfile.mkdtemp(prefix="hostnet-replicas-"))
    work = Path(tempfile.mkdtemp(prefix="hostnet-replicas-bot-"))
    tag = secrets.token_hex(2)
    made: list[Any] = []
    rounds: dict[tuple[str, int], list[Round]] = {setup: [] for setup in SETUPS}
    try:
        for i in range(n):
            made.append(netns.up(f"rp-{tag}-{i}", image=workshop.IMAGE, base=base))
        workshop_round(made[:1], "SQLite", 1, work)  # warm-up: the labs' first container
        for _ in range(repeats):
            for backend, count in SETUPS:
                rounds[(backend, count)].append(workshop_round(made, backend, count, work))
    finally:
        for lab in made:
            try:
                netns.down(lab.name, base=base)
            except Exception as exc:
                print(f"replicas: cannot remove lab {lab.name}: {exc}", file=sys.stderr)
        left = workshop._leftovers(made, base)
        if left:
            print(f"replicas: left behind: {'; '.join(left)}", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return rounds


# ------------------------------------------------------------------ the report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * p) - 1))] if ordered else 0.0


def _label(backend: str, count: int) -> str:
    return f"{count} replica{'s' if count > 1 else ''}, {backend}"


def ack_section(repeats: int) -> list[str]:
    found: dict[tuple[str, int], list[float]] = {setup: [] for setup in SETUPS}
    for _ in range(repeats):
        for backend, count in SETUPS:
            found[(backend, count)] += ack_round(backend, count)
    lines = [
        "| bot | ack p50 | ack p99 | slowest | clicks |",
        "|---|---:|---:|---:|---:|",
    ]
    for setup, took in found.items():
        lines.append(
            f"| {_label(*setup)} | {_ms(_pct(took, 0.5))} | {_ms(_pct(took, 0.99))} "
            f"| {_ms(max(took))} | {len(took)} |"
        )
    lines += [
        "",
        f"{CLICKS} clicks at once (Run again and hints) while {LEARNERS} steps run for 2 s on "
        f"{LEARNERS} local labs; each click's time to its HTTP answer, sent round-robin to the "
        f"replicas; {repeats} rounds per set-up, set-ups alternating.",
    ]
    return lines


def workshop_section(n: int, repeats: int) -> list[str]:
    why = workshop.missing_prerequisites()
    if why is not None:
        return [f"- workshop with replicas: skipped ({why})"]
    rounds = measure_workshop(n, repeats)
    lines = [
        f"| N = {n}, lesson 1 | wall time | click Run → result, p50 / p95 | CPU s of the bot process(es) | problems |",
        "|---|---:|---:|---:|---:|",
    ]  # fmt: skip
    for setup, rs in rounds.items():
        latencies = [t for r in rs for t in r.latencies]
        lines.append(
            f"| {_label(*setup)} | {statistics.median(r.wall for r in rs):.2f} s "
            f"| {_ms(_pct(latencies, 0.5))} / {_ms(_pct(latencies, 0.95))} "
            f"| {statistics.median(r.bot_cpu for r in rs):.2f} | {sum(len(r.errors) for r in rs)} |"
        )
    lines += [
        "",
        f"Median of {repeats} rounds per set-up, set-ups alternating, one warm-up round; "
        f"{n} netns labs; every request goes to the next replica (round-robin). The replicas "
        "are real processes (`hostnet-bot --http`) on one machine, so two of them share its "
        f"{os.cpu_count()} CPUs with the labs.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds per set-up (%(default)s)")
    parser.add_argument("--n", type=int, default=8, help="workshop learners = labs (%(default)s)")
    parser.add_argument("--skip", action="append", default=[], choices=["acks", "workshop"])
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, workshop._interrupt)  # labs are taken down (finally)
    out: list[str] = []
    if "acks" not in args.skip:
        out += ["Acks under a burst (bench/replicas.py):", "", *ack_section(args.repeats)]
    if "workshop" not in args.skip:
        out += ["", "The workshop with replicas (bench/replicas.py):", ""]
        out += workshop_section(args.n, args.repeats)
    print("\n".join(out))


if __name__ == "__main__":
    main()
