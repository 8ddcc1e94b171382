"""The workshop section's report (bench/workshop.py): one Markdown table row per N,
then notes on memory, CPU, messages, near misses and what was left behind."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from workshop_labs import ByHand
from workshop_round import SLACK_AWAY, SLACK_OVER_TLS, Round

from hostnet.bot.slack import BURST


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
    by_hand: dict[str, ByHand]  # lesson 1 by hand on one lab: checked, commands
    seconds: float  # the whole section, labs included


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
        "- Slack's stand-in answers the bot "
        + (
            "over TLS, as Slack does (a test authority's certificate, trusted with the system's CAs)"
            if SLACK_OVER_TLS
            else "over plain HTTP (HOSTNET_BENCH_SLACK=http): no TLS context or handshake"
        )
        + (
            f", {SLACK_AWAY * 1000:.0f} ms of round trip away (HOSTNET_BENCH_SLACK_RTT_MS; a relay "
            "on loopback holds each chunk half of it each way)"
            if SLACK_AWAY
            else ", on this machine's loopback (HOSTNET_BENCH_SLACK_RTT_MS=40 puts it a 40 ms "
            "round trip away, as Slack is from a bot)"
        ),
        "- CPU: \"bot\" is the bot's work in this process (bolt handling the learners' requests, "
        "the lessons, the calls to Slack's Web API); the Slack stand-in and the learners, which "
        "run here too, are counted apart (their threads' CPU, median per learner "
        f"{_median([r.stand_in_cpu / r.n for r in rs_all]):.2f} s); "
        '"labs" is their dockerd, containerd, sshd and every command run there; machine busy '
        "counts everyone's processes",
        f"- one learner's lesson: {posts} messages, "
        f"{_median([r.lab_seconds / r.n for r in rs_all]):.2f} s of commands on the lab",
    ]
    checked, bare = out.by_hand["checked"], out.by_hand["commands"]
    notes.append(
        "- lesson 1 by hand on a lab, over its SSH connection: with equivalent checks in bash "
        f"(bench/lesson1.sh) {checked.wall:.2f} s, {checked.lab_cpu:.2f} s of lab CPU and "
        f"{checked.machine_cpu:.2f} s of the machine's (the containers' runc and shims too); "
        f"its five commands alone {bare.wall:.2f} s (with a 1 s wait for --rm), "
        f"{bare.lab_cpu:.2f} s of lab CPU and {bare.machine_cpu:.2f} s of the machine's"
    )
    for r in out.paced:  # the bot lets BURST messages go early, then one per interval
        notes.append(
            f"- paced, N={r.n}: {r.posts} messages in one channel, so at least "
            f"{max(0, r.posts - BURST) * interval:.0f} s at one per {interval:g} s after a "
            f"burst of {BURST}; took {r.wall:.1f} s"
        )
    errors = [e for r in (*rs_all, *out.paced) for e in r.errors]
    odd = [o for r in (*rs_all, *out.paced) for o in r.oddities]
    notes.append(
        f"- unexpected messages (ephemerals, problems, failed calls): {len(odd)}"
        + (f"; first: {odd[0][:200]}" if odd else "")
    )
    if errors:
        notes.append(
            f"- FAILED: {len(errors)} problem(s); first: {errors[0].splitlines()[0][:300]}"
        )
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
