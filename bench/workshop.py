"""Workshop scale: N learners take lesson 1 through the Slack bot at the same time,
each on a netns lab of their own (N = 1, 2, 4, 8).

    .venv/bin/python bench/workshop.py               # print the section (Markdown)
    .venv/bin/python bench/workshop.py --sizes 1,2   # fewer rounds

``bench/run.py`` runs this file in a process of its own, so the bot's memory is
the bot's alone. The bot is the real bolt App built as ``hostnet-bot`` builds it,
its Web API pointed at the local stand-in for Slack of hostnet.bot.testing;
every learner types ``/hostnet start 1``, clicks Run on each of the 5 steps as
soon as it is offered, and answers the knowledge check. Each step runs on the
learner's lab over SSH. All learners share one channel, as in a workshop.

The labs (netns.up) are made before any clock starts, in a temporary base
directory, and removed at the end whatever happens; the section checks that
nothing of them is left (namespaces, veths, processes, files) and that the
host's own port 80 was never taken.

Memory per lab is the resident set (VmRSS) of every process of the lab: a
command line naming the lab's directories (dockerd, containerd, shims), or a
process in the lab's network namespace (sshd and its sessions, nginx), with
their descendants, summed; PSS (shared pages split between the processes that
map them) is given too, since eight dockerds share one binary.
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
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMAGE = os.environ.get("HOSTNET_BENCH_IMAGE", "hostnet/nginx-standin:latest")
SIZES = (1, 2, 4, 8)
PACED = (1, 4)  # run again with the shipped pacing of one message per second per channel
LESSON_TIMEOUT = 120.0  # one learner's whole lesson, a backstop
SAMPLE_EVERY = 0.2  # seconds between memory samples
MiB = 1024 * 1024


# ----------------------------------------------------------------- memory, CPU


def _status_kib(pid: int | str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


@dataclass
class LabProcs:
    """What belongs to one lab: its paths and its network namespace."""

    name: str
    roots: list[Path]
    netns: tuple[int, int] | None  # hostprobe.namespace_id of its handle


def lab_pids(labs: list[LabProcs]) -> dict[str, set[int]]:
    """One scan of /proc: each lab's processes (as ``netns.down`` finds them to kill)."""
    from hostnet.engine import hostprobe
    from hostnet.engine.labs import netns

    table = hostprobe.processes()  # shared: each process's fields are read once
    return {lab.name: netns.lab_processes(lab.roots, lab.netns, table) for lab in labs}


def lab_memory(labs: list[LabProcs], *, pss: bool = False) -> dict[str, int]:
    """KiB per lab: summed VmRSS (or PSS) of its processes."""
    measure: Callable[[int], int] = _pss_kib if pss else (lambda pid: _status_kib(pid, "VmRSS"))
    return {name: sum(measure(pid) for pid in pids) for name, pids in lab_pids(labs).items()}


def lab_memory_by_program(labs: list[LabProcs]) -> dict[str, dict[str, int]]:
    """KiB of VmRSS per lab and program name (dockerd, containerd, sshd, …)."""
    from hostnet.engine import hostprobe

    out: dict[str, dict[str, int]] = {}
    for name, pids in lab_pids(labs).items():
        programs = out.setdefault(name, {})
        for pid in pids:
            comm = hostprobe.Process(pid).comm
            if not comm:
                continue  # gone meanwhile
            programs[comm] = programs.get(comm, 0) + _status_kib(pid, "VmRSS")
    return out


def cpu_busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])
    return total - idle, total


TICK = os.sysconf("SC_CLK_TCK")


def lab_cpu(labs: list[LabProcs]) -> dict[tuple[int, str], float]:
    """CPU seconds of each live lab process, (pid, start time) → own + reaped children's.

    Commands a lab runs for a lesson (bash, docker, the probes' python3) are
    children of its sshd session, so their time is in that process's cutime once
    they exit; only what dockerd's shims reparent to init is missed (nginx)."""
    found: dict[tuple[int, str], float] = {}
    for pids in lab_pids(labs).values():
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            found[(pid, fields[19])] = sum(int(v) for v in fields[11:15]) / TICK
    return found


def host_port_80_listening() -> bool:
    """Whether anything listens on TCP port 80 in this (the host's) network namespace."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[1].rsplit(":", 1)[1] == "0050" and parts[3] == "0A":
                return True
    return False


class Sampler(threading.Thread):
    """Peak memory per lab, and whether the host's port 80 was ever taken, while a round runs."""

    def __init__(self, labs: list[LabProcs]) -> None:
        super().__init__(name="workshop-sampler", daemon=True)
        self.labs = labs
        self.peak: dict[str, int] = {lab.name: 0 for lab in labs}
        self.port_80_taken = False
        self.bot_peak = _status_kib("self", "VmRSS")  # KiB
        self.cpu = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while True:
            for name, kib in lab_memory(self.labs).items():
                self.peak[name] = max(self.peak[name], kib)
            self.port_80_taken |= host_port_80_listening()
            self.bot_peak = max(self.bot_peak, _status_kib("self", "VmRSS"))
            self.cpu = time.thread_time()  # its own, not the bot's
            if self._halt.wait(SAMPLE_EVERY):
                return

    def stop(self) -> None:
        self._halt.set()
        self.join()


# ------------------------------------------------------------------ the learners


def _slack_stand_in() -> Any:
    """hostnet.bot.testing's FakeSlack, telling waiting learners whenever a call arrives."""
    from hostnet.bot.testing.fakeslack import FakeSlack

    class Slack(FakeSlack):
        def __init__(self) -> None:
            self.arrived = threading.Condition()
            super().__init__()

        def answer(self, path: str, args: dict[str, Any]) -> Any:
            out = super().answer(path, args)
            with self.arrived:
                self.arrived.notify_all()
            return out

    return Slack()


class Learner:
    """One learner: starts lesson 1, clicks Run on each step, answers the quiz."""

    def __init__(self, user: str, harness: Any, fake: Any, quiz_answers: list[int]) -> None:
        self.user = user
        self.harness = harness
        self.fake = fake
        self.quiz_answers = quiz_answers
        self.thread_ts: str | None = None
        self.cursor = 0  # calls of the stand-in looked at so far
        self.mine: list[Any] = []  # my thread's posted messages, in order
        self.elapsed = 0.0
        self.latencies: list[float] = []  # click on Run → its result posted, per step
        self.error: str | None = None
        self.evidence = ""  # on error: the thread, the session row, the lab's last commands

    def _scan(self) -> None:
        calls = self.fake.calls  # appended to from the stand-in's threads
        # Count first, then take exactly that many: a call appended between a
        # slice and a separate len() would be counted and never looked at.
        end = len(calls)
        new, self.cursor = calls[self.cursor : end], end
        for call in new:
            if call.method != "chat.postMessage":
                continue
            if self.thread_ts is None:
                if (
                    "thread_ts" not in call.args
                    and f"<@{self.user}> is taking this lesson" in call.text()
                ):
                    self.thread_ts = call.ts
            elif call.args.get("thread_ts") == self.thread_ts:
                self.mine.append(call)

    def _wait(self, what: str, found: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + LESSON_TIMEOUT
        with self.fake.arrived:
            while True:
                self._scan()
                value = found()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{self.user}: no {what} within {LESSON_TIMEOUT:.0f} s")
                self.fake.arrived.wait(left)

    def _post_with(self, action_id: str, text: str, after: int = 0) -> Any:
        for call in self.mine[after:]:
            if action_id in call.buttons() and text in call.text():
                return call
        return None

    def take_lesson_1(self, go: threading.Barrier) -> None:
        from hostnet.bot.testing.requests import CHANNEL, FORM, slash_body

        go.wait()
        started = time.monotonic()
        try:
            url = f"{self.fake.base}/response/{self.user}"
            self.harness.dispatch(slash_body(self.user, "start 1", CHANNEL, url), FORM)
            self._wait("lesson thread", lambda: self.thread_ts)
            for k in range(1, 6):
                step = self._wait(
                    f"step {k}", lambda k=k: self._post_with("hostnet.run", f"Step {k} of 5")
                )
                after = self.mine.index(step)
                clicked = time.monotonic()
                self.harness.click(self.user, step, "hostnet.run", settle=False)
                verdict = self._wait(
                    f"result of step {k}",
                    lambda k=k, after=after: next(
                        (c for c in self.mine[after:] if f"*Step {k} passed* on" in c.text() or f"*Step {k} failed* on" in c.text()),
                        None,
                    ),
                )  # fmt: skip
                self.latencies.append(verdict.at - clicked)
                if "passed*" not in verdict.text():
                    raise AssertionError(f"{self.user}: step {k} failed: {verdict.text()[:400]}")
            for i, answer in enumerate(self.quiz_answers, start=1):
                question = self._wait(
                    f"question {i}",
                    lambda i=i, answer=answer: self._post_with(f"hostnet.quiz.{answer}", f"Knowledge check {i} of"),
                )  # fmt: skip
                self.harness.click(self.user, question, f"hostnet.quiz.{answer}", settle=False)
            summary = self._wait(
                "summary",
                lambda: next((c for c in self.mine if "Lesson 1 done" in c.text()), None),
            )
            text = summary.text()
            wanted = ["Steps verified: 5 of 5", "given back"]
            if self.quiz_answers:
                n = len(self.quiz_answers)
                wanted.append(f"Knowledge check: {n} of {n} right")
            missing = [w for w in wanted if w not in text]
            if missing:
                raise AssertionError(f"{self.user}: summary lacks {missing}: {text[:400]}")
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.evidence = self.harness.explain(self.user)
        finally:
            self.elapsed = time.monotonic() - started


# ------------------------------------------------------------------ one round


@dataclass
class Round:
    n: int
    interval: float  # message_interval_seconds
    wall: float = 0.0
    per_learner: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # click on Run → result, every step
    errors: list[str] = field(default_factory=list)
    cpu_busy: float = 0.0  # share of the machine's CPUs busy during the round (anyone's)
    bot_cpu: float = 0.0  # CPU seconds of this process (the bot, the Slack stand-in, the learners)
    lab_cpu: float = 0.0  # CPU seconds of the labs' processes
    peak_kib: dict[str, int] = field(default_factory=dict)  # per lab, during the round
    bot_rss_before: int = 0  # KiB
    bot_rss_peak: int = 0
    bot_rss_after: int = 0
    port_80_taken: bool = False
    posts: int = 0  # chat.postMessage calls
    lab_seconds: float = 0.0  # summed duration of the commands the labs ran
    oddities: list[str] = field(default_factory=list)  # ephemerals, problems, failed calls


def run_round(labs: list[Any], n: int, interval: float, work: Path) -> Round:
    from hostnet.bot.testing.harness import BotHarness, Labs, write_config
    from hostnet.engine.loader import find_lesson

    result = Round(n, interval)
    quiz = [q.answer for q in find_lesson("1").quiz]
    folder = Path(tempfile.mkdtemp(prefix=f"round-{n}-", dir=work))
    config = write_config(
        folder,
        [{"name": lab.name, "ssh_config": str(lab.ssh_config)} for lab in labs[:n]],
        allowed_users=["*"],
        variables={"image": IMAGE},
        message_interval_seconds=interval,
    )
    fake = _slack_stand_in()
    targets = Labs()
    harness = BotHarness(fake, config, targets)
    procs = [LabProcs(lab.name, [lab.directory, lab.run_dir], _netns_id(lab)) for lab in labs[:n]]
    try:
        harness.settle()
        result.bot_rss_before = _status_kib("self", "VmRSS")
        learners = [Learner(f"U0LEARNER{i:02}", harness, fake, quiz) for i in range(n)]
        go = threading.Barrier(n + 1)
        threads = [
            threading.Thread(target=lr.take_lesson_1, args=(go,), daemon=True) for lr in learners
        ]
        sampler = Sampler(procs)
        sampler.start()
        for t in threads:
            t.start()
        busy0, total0 = cpu_busy_jiffies()
        labs0, bot0 = lab_cpu(procs), time.process_time()
        go.wait()
        started = time.monotonic()
        for t in threads:
            t.join()
        harness.settle()  # the last job has posted its last message
        result.wall = time.monotonic() - started
        bot1 = time.process_time()
        labs1 = lab_cpu(procs)
        busy1, total1 = cpu_busy_jiffies()
        sampler.stop()
        result.bot_cpu = bot1 - bot0 - sampler.cpu
        result.lab_cpu = sum(v - labs0.get(k, 0.0) for k, v in labs1.items())
        result.cpu_busy = (busy1 - busy0) / max(1, total1 - total0)
        result.peak_kib = sampler.peak
        result.port_80_taken = sampler.port_80_taken
        result.bot_rss_peak = sampler.bot_peak
        result.bot_rss_after = _status_kib("self", "VmRSS")
        result.per_learner = [lr.elapsed for lr in learners]
        result.latencies = [t for lr in learners for t in lr.latencies]
        result.errors = [lr.error for lr in learners if lr.error]
        for lr in learners:
            if lr.error:
                print(f"workshop, N={n}: {lr.error}\n{lr.evidence}", file=sys.stderr, flush=True)
        result.posts = len(fake.of("chat.postMessage"))
        result.oddities = oddities(fake)
        for odd in result.oddities:  # a near miss: no learner failed, but something did
            print(f"workshop, N={n}: unexpected: {odd}", file=sys.stderr, flush=True)
        result.lab_seconds = sum(seconds for _, seconds in targets.durations)
        leases = harness.bot.store.leases()
        if leases:
            result.errors.append(f"labs still leased after the round: {[le.lab for le in leases]}")
    finally:
        harness.close()
        fake.close()
    return result


def oddities(fake: Any) -> list[str]:
    """What a smooth round never shows: an ephemeral reply, a problem (⚠️) in a
    thread, a Web API call that failed."""
    return [
        f"{c.method}: {' '.join(c.text().split())[:200]}"
        for c in list(fake.calls)
        if c.method == "chat.postEphemeral" or ":" in c.method or "⚠️" in c.text()
    ]


def _netns_id(lab: Any) -> tuple[int, int] | None:
    from hostnet.engine import hostprobe

    return hostprobe.namespace_id(str(lab.netns))


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
class Outcome:
    rounds: dict[int, list[Round]]  # N → its repeats, unpaced
    paced: list[Round]
    idle_rss: dict[str, int]  # KiB per lab before the first round
    idle_pss: dict[str, int]
    idle_programs: dict[str, dict[str, int]]  # lab → program → KiB
    bot_rss_start: int  # KiB, before the bot was first built
    bot_rss_end: int
    leftovers: list[str]
    port_80_before: bool
    seconds: float  # the whole section, labs included


def measure(
    sizes: tuple[int, ...], repeats: int, paced_sizes: tuple[int, ...], interval: float
) -> Outcome:
    from hostnet.engine.labs import netns

    began = time.monotonic()
    count = max((*sizes, *paced_sizes))
    base = Path(tempfile.mkdtemp(prefix="hostnet-workshop-"))
    work = Path(tempfile.mkdtemp(prefix="hostnet-workshop-bot-"))
    tag = secrets.token_hex(2)
    made: list[Any] = []
    rounds: dict[int, list[Round]] = {n: [] for n in sizes}
    paced: list[Round] = []
    port_80_before = host_port_80_listening()
    bot_rss_start = _status_kib("self", "VmRSS")
    try:
        for i in range(count):  # before any clock starts (lab up is measured in bench/run.py)
            made.append(netns.up(f"ws-{tag}-{i}", image=IMAGE, base=base))
        procs = [LabProcs(lab.name, [lab.directory, lab.run_dir], _netns_id(lab)) for lab in made]
        idle_rss, idle_pss = lab_memory(procs), lab_memory(procs, pss=True)
        idle_programs = lab_memory_by_program(procs)
        run_round(made, 1, 0.0, work)  # warm-up: imports, the labs' first container
        for _ in range(repeats):  # alternating, so a noisy moment hits every N alike
            for n in sizes:
                rounds[n].append(run_round(made, n, 0.0, work))
        for n in paced_sizes:
            paced.append(run_round(made, n, interval, work))
        bot_rss_end = _status_kib("self", "VmRSS")
    finally:
        for lab in made:
            try:
                netns.down(lab.name, base=base)
            except Exception as exc:
                print(f"workshop: cannot remove lab {lab.name}: {exc}", file=sys.stderr)
        left = _leftovers(made, base)
        if not left:
            shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return Outcome(
        rounds, paced, idle_rss, idle_pss, idle_programs, bot_rss_start, bot_rss_end, left, port_80_before,
        time.monotonic() - began,
    )  # fmt: skip


# ------------------------------------------------------------------ the report


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)] if ordered else 0.0


def report(out: Outcome, interval: float) -> str:
    cpus = os.cpu_count() or 1
    repeats = max((len(v) for v in out.rounds.values()), default=0)
    lines = [
        "| learners = labs | wall time | T(N) / T(1) | click Run → result, p50 / p95 / max | CPU s: bot + labs | machine busy | lab RSS, peak | bot RSS, peak (growth) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip

    def row(label: str, rs: list[Round], one: float | None) -> str:
        wall = _median([r.wall for r in rs])
        ratio = f"{wall / one:.2f}×" if one else "–"
        latencies = [t for r in rs for t in r.latencies]
        bot_peak = max(r.bot_rss_peak for r in rs)
        growth = _median([(r.bot_rss_peak - r.bot_rss_before) / 1024 for r in rs])
        return (
            f"| {label} | {wall:.2f} s | {ratio} "
            f"| {_median(latencies) * 1000:.0f} / {_p95(latencies) * 1000:.0f} / {max(latencies, default=0) * 1000:.0f} ms "
            f"| {_median([r.bot_cpu for r in rs]):.2f} + {_median([r.lab_cpu for r in rs]):.2f} "
            f"| {_median([r.cpu_busy for r in rs]) * 100:.0f}% of {cpus} CPUs "
            f"| {_mib(max(kib for r in rs for kib in r.peak_kib.values()))} "
            f"| {_mib(bot_peak)} ({growth:+.1f} MiB) |"
        )

    walls = {n: _median([r.wall for r in rs]) for n, rs in out.rounds.items() if rs}
    lines += [row(str(n), rs, walls.get(1)) for n, rs in out.rounds.items() if rs]
    paced_one = next((r.wall for r in out.paced if r.n == 1), None)  # paced rows: to paced N=1
    lines += [row(f"{r.n}, paced {interval:g} s", [r], paced_one) for r in out.paced]
    idle = list(out.idle_rss.values())
    names = sorted(
        {p for progs in out.idle_programs.values() for p in progs},
        key=lambda p: -_median([progs.get(p, 0) for progs in out.idle_programs.values()]),
    )
    programs = ", ".join(
        f"{p} {_mib(_median([progs.get(p, 0) for progs in out.idle_programs.values()]))}"
        for p in names
    )
    pss = list(out.idle_pss.values())
    rs_all = [r for rs in out.rounds.values() for r in rs]
    biggest = max(out.rounds) if out.rounds else 0
    posts = out.rounds[biggest][0].posts // biggest if out.rounds.get(biggest) else 0
    notes = [
        "",
        f"Median of {repeats} rounds per N, N alternating; one warm-up round first. The labs are made "
        'before and removed after (not timed). "paced": the shipped `message_interval_seconds: '
        f"{interval:g}`, one run; the other rows use 0 (no pacing), as the bot's tests do.",
        "",
        f"- memory per lab, idle (dockerd + containerd + sshd): RSS {_mib(_median(idle))} "
        f"(median of {len(idle)}: {programs}), PSS {_mib(_median(pss))} (pages shared with the "
        "other labs' and the host's daemons counted once); the peak during a lesson (table) adds "
        "nginx and the lab's docker CLI, shell and probe processes",
        f"- bot process RSS: {_mib(out.bot_rss_start)} before the bot was first built, "
        f"{_mib(out.bot_rss_end)} after all {len(rs_all) + len(out.paced) + 1} rounds "
        "(each round builds a fresh bot; the table has its peak and growth during the rounds)",
        '- CPU: "bot" is this process (the bot, the Slack stand-in, the learners\' clicks), '
        '"labs" their dockerd, containerd, sshd and every command run there; machine busy '
        "counts everyone's processes",
        f"- one learner's lesson: {posts} messages, "
        f"{_median([r.lab_seconds / r.n for r in rs_all]):.2f} s of commands on the lab",
    ]
    for r in out.paced:
        notes.append(
            f"- paced, N={r.n}: {r.posts} messages in one channel, so at least "
            f"{(r.posts - 1) * interval:.0f} s at one per {interval:g} s; took {r.wall:.1f} s"
        )
    errors = [e for r in (*rs_all, *out.paced) for e in r.errors]
    odd = [o for r in (*rs_all, *out.paced) for o in r.oddities]
    notes.append(
        f"- unexpected messages (ephemerals, problems, failed calls): {len(odd)}"
        + (f"; first: {odd[0][:200]}" if odd else "")
    )
    if errors:
        notes.append(f"- FAILED: {len(errors)} problem(s); first: {errors[0][:300]}")
    taken = any(r.port_80_taken for r in (*rs_all, *out.paced))
    notes.append(
        "- the host's own port 80: "
        + ("something listened on it during the run (not a lab: their nginx run in their own namespaces)" if taken else "free throughout")
        + ("; it was already taken before" if out.port_80_before else "")
    )  # fmt: skip
    notes.append(
        "- left behind: "
        + ("; ".join(out.leftovers) if out.leftovers else "nothing (namespaces, veths, processes, files)")
        + f"; the whole section took {out.seconds:.0f} s"
    )  # fmt: skip
    return "\n".join(lines + notes)


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
    args = parser.parse_args()  # fmt: skip
    signal.signal(signal.SIGTERM, _interrupt)
    sizes = tuple(int(v) for v in re.split(r"[ ,]+", args.sizes.strip()) if v)
    paced = tuple(int(v) for v in re.split(r"[ ,]+", args.paced.strip()) if v)
    print(section(sizes, args.repeats, paced, args.interval))


if __name__ == "__main__":
    main()
