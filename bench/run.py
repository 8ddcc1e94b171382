"""docker-hostnet benchmarks: ratios measured side by side in one run.

    .venv/bin/python bench/run.py            # print the table
    .venv/bin/python bench/run.py --write    # and save it to bench/RESULTS.md

Every figure is the median of several alternating runs of both sides, so a
noisy machine slows both alike. Needs the set-up of scripts/test.sh (Docker,
the stand-in image; root and openssh-server for the SSH rows and the workshop
section, bench/workshop.py).

Each row is printed (and flushed) as soon as it is measured, so a run stopped
midway still shows what it measured. A command that fails (either side of a
row) makes that row a FAILED row, with the command's output after the table;
a section that breaks makes one FAILED row; the run goes on either way.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IMAGE = os.environ.get("HOSTNET_BENCH_IMAGE", "hostnet/nginx-standin:latest")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


class Failed(Exception):
    """A measured command failed: what ran, how it ended, what it printed."""

    def __init__(self, argv: tuple[str, ...], code: int, output: str) -> None:
        self.command = " ".join(argv)
        self.code = code
        self.output = output
        last = next((line for line in reversed(output.splitlines()) if line.strip()), "")
        super().__init__(f"`{self.command}` exited {code}" + (f": {last.strip()}" if last else ""))


@dataclass
class Row:
    what: str
    against: str
    ours: float = 0.0
    theirs: float = 0.0
    goal: str = ""
    failed: str | None = None  # one line: why
    output: str = ""  # the failed command's output, shown after the table

    def line(self) -> str:
        if self.failed is not None:
            why = self.failed.replace("|", "\\|")
            return f"| {self.what} | {self.against} | – | – | FAILED: {why} | {self.goal} |"
        return (
            f"| {self.what} | {self.against} | {self.ours * 1000:.1f} ms "
            f"| {self.theirs * 1000:.1f} ms | {self.ours / self.theirs:.2f}× | {self.goal} |"
        )

    def verdict(self) -> str:
        """ "met" or "not met" for a row with a goal; "" for one without."""
        if self.failed is not None:
            return "not met (failed)" if met(0, self.goal) else ""
        said = met(self.ours / self.theirs, self.goal)
        return {"yes": "met", "no": "not met"}.get(said, "")


def met(value: float, goal: str) -> str:
    """Whether ``value`` meets a goal written as the table writes them ("≤ 2" or "< 1" and
    a multiplication sign, "≤ 0.2 s"); "" when it states none (a gain shown for comparison)."""
    import re

    found = re.fullmatch(r"(≤|<) ([0-9.]+) ?(×|s)", goal.strip())
    if found is None:
        return ""
    bound = float(found.group(2))
    return "yes" if (value <= bound if found.group(1) == "≤" else value < bound) else "no"


def side_by_side(
    a: Callable[[], object], b: Callable[[], object], runs: int
) -> tuple[float, float]:
    """Median seconds of a and of b, run alternately (after one warm-up each)."""
    a(), b()
    times_a, times_b = [], []
    for _ in range(runs):
        times_a.append(timed(a))
        times_b.append(timed(b))
    return statistics.median(times_a), statistics.median(times_b)


def compare(
    what: str,
    against: str,
    a: Callable[[], object],
    b: Callable[[], object],
    runs: int,
    goal: str,
) -> Row:
    """A row of ``side_by_side``; a failed command (either side) makes a failed row."""
    try:
        ours, theirs = side_by_side(a, b, runs)
    except Failed as exc:
        return Row(what, against, goal=goal, failed=str(exc), output=exc.output)
    return Row(what, against, ours, theirs, goal)


def sh(*argv: str, env: dict[str, str] | None = None) -> Callable[[], object]:
    full_env = {**os.environ, **(env or {})}

    def run() -> object:
        res = subprocess.run(argv, env=full_env, capture_output=True, text=True)
        if res.returncode != 0:
            raise Failed(argv, res.returncode, res.stdout + res.stderr)
        return res

    return run


def plugin_rows(runs: int) -> Iterator[Row]:
    yield compare(
        "metadata from Python (docker-hostnet)",
        "python -c pass",
        sh(str(BIN / "docker-hostnet"), "docker-cli-plugin-metadata"),
        sh(sys.executable, "-c", "pass"),
        runs,
        "≤ 2×",
    )
    with tempfile.TemporaryDirectory() as with_plugin, tempfile.TemporaryDirectory() as without:
        sh(str(BIN / "hostnet"), "install", env={"DOCKER_CONFIG": with_plugin})()
        plugin = Path(with_plugin) / "cli-plugins" / "docker-hostnet"
        yield compare(
            "metadata from the installed plugin (sh)",
            "python -c pass",
            sh(str(plugin), "docker-cli-plugin-metadata"),
            sh(sys.executable, "-c", "pass"),
            runs,
            "≤ 2×",
        )
        yield compare(
            "docker --help, plugin installed",
            "without the plugin",
            sh("docker", "--help", env={"DOCKER_CONFIG": with_plugin}),
            sh("docker", "--help", env={"DOCKER_CONFIG": without}),
            runs,
            "≤ 1.25×",
        )


def startup_section(runs: int) -> Iterator[Row]:
    """Start-up per command (bench/startup.py), with a progress file of its own."""
    sys.path.insert(0, str(REPO / "bench"))
    from startup import startup_rows

    with tempfile.TemporaryDirectory() as state:
        env = {"HOSTNET_PROGRESS_DB": f"{state}/p.sqlite"}
        yield from startup_rows(runs, compare=compare, sh=sh, env=env)


def lesson_rows(runs: int) -> Iterator[Row]:
    with tempfile.TemporaryDirectory() as state:
        env = {"HOSTNET_PROGRESS_DB": f"{state}/p.sqlite"}
        yield compare(
            "lesson 1 --auto",
            "the same commands + checks in bash",
            sh(str(BIN / "hostnet"), "lesson", "1", "--auto", "--var", f"image={IMAGE}", env=env),
            sh("bash", str(REPO / "bench" / "lesson1.sh"), IMAGE),
            runs,
            "≤ 1.5×",
        )


def ssh_rows(runs: int) -> Iterator[Row]:
    from hostnet.engine.labs import netns
    from hostnet.engine.ssh import SSHTarget
    from hostnet.engine.targets import LocalTarget

    base = Path(tempfile.mkdtemp())
    try:
        ups, downs = [], []
        for i in range(3):
            ups.append(timed(lambda i=i: netns.up(f"bench-{i}", base=base)))
            downs.append(timed(lambda i=i: netns.down(f"bench-{i}", base=base)))
        yield Row("lab up --netns (median of 3)", "goal 10 s", statistics.median(ups), 10.0, "< 1×")
        yield Row("lab down (median of 3)", "goal 5 s", statistics.median(downs), 5.0, "< 1×")
        lab = netns.up("bench-ssh", base=base)
        try:
            remote = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
            local = LocalTarget()
            n = 50

            def many(target: object) -> Callable[[], object]:
                return lambda: [target.run("true", timeout=10) for _ in range(n)]  # type: ignore[attr-defined]

            ssh_t, local_t = side_by_side(many(remote), many(local), max(3, runs // 3))
            yield Row(
                "`true` over SSH, reused connection", "locally", ssh_t / n, local_t / n, "≤ 2×"
            )
            fresh = sh("ssh", "-F", str(lab.ssh_config), lab.name, "true")
            row = compare(
                "`true` over SSH, reused connection",
                "a fresh `ssh` per command",
                lambda: None,
                lambda: [fresh() for _ in range(10)],
                3,
                "(gain)",
            )
            row.ours, row.theirs = ssh_t / n, row.theirs / 10
            yield row
            remote.close()
        finally:
            netns.down("bench-ssh", base=base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _tail(text: str, lines: int = 30) -> list[str]:
    """The end of a command's output, as a fenced block for the report."""
    return ["  ```", *[f"  {line}" for line in text.rstrip().splitlines()[-lines:]], "  ```"]


def bot_lines() -> list[str]:
    """The bot's figures come from its load scenario (tests/bot/test_load.py): the
    real bolt App against a local stand-in for Slack, 5 labs running steps."""
    import re

    try:
        res = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(REPO / "tests" / "bot" / "test_load.py")],
            cwd=REPO, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        return ["- bot: the load scenario did not end within 600 s", *_tail(out)]
    found = re.findall(r"(ack latency of [^\n]*|bot overhead [^\n]*)", res.stdout)
    if res.returncode != 0 or len(found) < 2:  # an ack line per backend, the overhead
        return [
            f"- bot: the load scenario failed (exit {res.returncode}); see tests/bot/test_load.py",
            *_tail(res.stdout + res.stderr),
        ]
    return [
        f"- {line} (goal: ack p99 < 100 ms; Slack's limit is 3 s)" if "ack" in line else f"- {line}"
        for line in found
    ]


def replicas_lines(timeout: float = 900) -> list[str]:
    """The bot as real processes, one replica or two, on SQLite or PostgreSQL
    (bench/replicas.py): acks under a burst, the workshop at N = 8."""
    try:
        res = subprocess.run(
            [sys.executable, str(REPO / "bench" / "replicas.py")],
            cwd=REPO, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return [f"- replicas: FAILED: no result within {timeout:g} s"]
    if res.returncode != 0 or not res.stdout.strip():
        return [f"- replicas: FAILED (exit {res.returncode}):", *_tail(res.stderr)]
    return res.stdout.strip().splitlines()


def workshop_lines(sizes: str, timeout: float = 1200) -> list[str]:
    """N learners take lesson 1 through the bot at once, each on a netns lab of their
    own (bench/workshop.py, in a process of its own so the bot's memory is its own).

    Its stderr (a failed learner's evidence: thread, session row, lab's commands)
    goes on to ours as it comes."""
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "workshop.py"), "--sizes", sizes],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    out: list[str] = []
    err: list[str] = []

    def tee(stream: object, keep: list[str], echo: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            keep.append(line)
            if echo:
                sys.stderr.write(line)
                sys.stderr.flush()

    readers = [
        threading.Thread(target=tee, args=(proc.stdout, out, False), daemon=True),
        threading.Thread(target=tee, args=(proc.stderr, err, True), daemon=True),
    ]
    for reader in readers:
        reader.start()
    late = ""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        late = f" (stopped after {timeout:g} s)"
        proc.terminate()  # SIGTERM: it takes its labs down before it exits
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for reader in readers:
        reader.join(timeout=10)
    text = "".join(out).strip()
    if proc.returncode != 0 or not text:
        why = ("".join(err).strip().splitlines() or ["no output"])[-1]
        return [f"- workshop scale: failed (exit {proc.returncode}){late}: {why}", *_tail(text)]
    return text.splitlines()


TABLE_HEAD = [
    "| measured | against | ours | theirs | ratio | goal |",
    "|---|---|---:|---:|---:|---|",
]


def workshop_goals(lines: list[str]) -> list[str]:
    """The workshop's goals, read from its table: T(8) / T(1) at most 2.5 times T(1), and the CPU of one
    learner's lesson through the bot (N = 1: bot + labs) ≤ 0.2 s."""
    rows = {}
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].isdigit():
            rows[int(cells[0])] = cells
    said = []
    if 8 in rows:
        ratio = float(rows[8][2].rstrip("×"))
        said.append(f"- T(8) / T(1) = {ratio:.2f}× (goal ≤ 2.5×: {met(ratio, '≤ 2.5×')})")
    if 1 in rows:
        bot, _, labs = rows[1][4].partition("+")
        cpu = float(bot) + float(labs)
        said.append(
            f"- CPU of one learner's lesson 1 through the bot, N = 1: {cpu:.2f} s "
            f"(bot {float(bot):.2f} + labs {float(labs):.2f}; goal ≤ 0.2 s: {met(cpu, '≤ 0.2 s')})"
        )
    return said


def vm_lines(timeout: float = 3600) -> list[str]:
    """Lab VMs (bench/vm.py): the image build, boots, lesson 1 on a VM against a netns
    lab and locally, memory per VM. Minutes under TCG."""
    try:
        res = subprocess.run(
            [sys.executable, str(REPO / "bench" / "vm.py")],
            cwd=REPO, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return [f"- lab VMs: FAILED: no result within {timeout:g} s"]
    if res.returncode != 0 or not res.stdout.strip():
        return [f"- lab VMs: FAILED (exit {res.returncode}):", *_tail(res.stderr)]
    return res.stdout.strip().splitlines()


class Report:
    """The report, printed (and flushed) part by part as it is measured; kept for --write."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def say(self, *lines: str) -> None:
        for line in lines or ("",):
            print(line, flush=True)
            self.lines.append(line)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


RTT = 0.040  # a round trip to Slack, for the bench (Slack's own varies by region)


def slack_rows(runs: int) -> Iterator[Row]:
    """One Slack Web API call over TLS (bench/slack_tls.py): the CPU it costs the bot,
    and the time it takes with Slack a round trip away."""
    import slack_tls

    cpu = slack_tls.cpu_per_call(batches=max(3, runs // 2))
    yield Row(
        "CPU of one Slack Web API call over TLS, the bot's client",
        "slack_sdk's default (a new TLS context and connection per call)",
        cpu["kept"],
        cpu["as it comes"],
        "(gain)",
    )
    yield Row(
        "the same, connections kept open",
        "one TLS context, a new connection per call",
        cpu["kept"],
        cpu["one context"],
        "(gain)",
    )
    wall = slack_tls.wall_per_call(rtt=RTT)
    yield Row(
        f"one Web API call, Slack {RTT * 1000:.0f} ms away, connections kept open",
        "a new connection per call (its TCP handshake not delayed)",
        wall["kept"],
        wall["one context"],
        "(gain)",
    )


def rows_of(name: str, section: Callable[[int], Iterator[Row]], runs: int) -> Iterator[Row]:
    """A section's rows as they are measured; a section that breaks ends in a failed row."""
    try:
        yield from section(runs)
    except Exception as exc:
        why = str(exc).splitlines()[0] if str(exc) else ""
        output = exc.output if isinstance(exc, Failed) else traceback.format_exc()
        yield Row(f"the {name} section", "–", failed=f"{type(exc).__name__}: {why}", output=output)


def failures(rows: list[Row]) -> list[str]:
    """Each failed row's command output, after the table."""
    lines = ["", "Failed rows, with the output of what failed:", ""]
    for row in rows:
        lines += [f"- {row.what} ({row.against}): {row.failed}", *_tail(row.output)]
    return lines


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    docker = subprocess.run(
        ["docker", "version", "--format", "CLI {{.Client.Version}}, engine {{.Server.Version}}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{platform.platform()}; {os.cpu_count()} CPUs ({cpu}); Python {platform.python_version()}; docker {docker}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", action="store_true", help="save to bench/RESULTS.md")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=[
            "plugin",
            "startup",
            "lesson",
            "ssh",
            "slack",
            "bot",
            "workshop",
            "replicas",
            "vm",
        ],
    )
    parser.add_argument(
        "--sizes", default="1,2,4,8,16,32", help="workshop sizes (default %(default)s)"
    )
    args = parser.parse_args()
    report = Report()
    report.say(f"Machine: {machine()}", "", *TABLE_HEAD)
    failed: list[Row] = []
    measured: list[Row] = []
    sections = (
        ("plugin", plugin_rows),
        ("startup", startup_section),
        ("lesson", lesson_rows),
        ("ssh", ssh_rows),
        ("slack", slack_rows),
    )
    for name, section in sections:
        if name not in args.skip:
            for row in rows_of(
                name, section, args.runs if name != "lesson" else max(3, args.runs // 3)
            ):
                report.say(row.line())
                measured.append(row)
                failed += [row] if row.failed is not None else []
    verdicts = [f"- {r.what} ({r.against}): {r.verdict()}" for r in measured if r.verdict()]
    if verdicts:
        report.say("", "Goals of the table:", "", *verdicts)
    if failed:
        report.say(*failures(failed))
    if "bot" not in args.skip:
        report.say("", "Slack bot (100 clicks at once while 5 lessons run steps on 5 labs):", "")
        report.say(*bot_lines())
    if "workshop" not in args.skip:
        report.say(
            "",
            "Workshop scale (N learners take lesson 1 through the bot at once, each on a netns"
            " lab of their own, in one channel; bench/workshop.py):",
            "",
        )
        found = workshop_lines(args.sizes)
        report.say(*found)
        report.say("", *workshop_goals(found))
    if "replicas" not in args.skip:
        report.say("", "Replicas (the bot as `hostnet-bot --http` processes):", "")
        report.say(*replicas_lines())
    if "vm" not in args.skip:
        report.say(
            "",
            "Lab VMs (scripts/vm-lab.sh: qemu, user-mode network; bench/vm.py). KVM is used"
            " where a Linux guest boots with it; where it does not, TCG emulates every"
            " instruction:",
            "",
        )
        report.say(*vm_lines())
    if args.write:
        (REPO / "bench" / "RESULTS.md").write_text(
            "# Benchmark results\n\nProduced by `.venv/bin/python bench/run.py --write` "
            f"on {time.strftime('%Y-%m-%d')}.\n\n{report.text()}"
        )


if __name__ == "__main__":
    main()
