"""docker-hostnet benchmarks: ratios measured side by side in one run.

    .venv/bin/python bench/run.py            # print the table
    .venv/bin/python bench/run.py --write    # and save it to bench/RESULTS.md

Every figure is the median of several alternating runs of both sides, so a
noisy machine slows both alike. Needs the set-up of scripts/test.sh (Docker,
the stand-in image; root and openssh-server for the SSH rows and the workshop
section, bench/workshop.py).
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
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IMAGE = os.environ.get("HOSTNET_BENCH_IMAGE", "hostnet/nginx-standin:latest")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


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


def sh(*argv: str, env: dict[str, str] | None = None) -> Callable[[], object]:
    full_env = {**os.environ, **(env or {})}

    def run() -> object:
        return subprocess.run(argv, env=full_env, capture_output=True, check=True)

    return run


Row = tuple[str, str, float, float, str]  # what, compared with, ours, theirs, goal


def plugin_rows(runs: int) -> list[Row]:
    rows: list[Row] = []
    ours, base = side_by_side(
        sh(str(BIN / "docker-hostnet"), "docker-cli-plugin-metadata"),
        sh(sys.executable, "-c", "pass"),
        runs,
    )
    rows.append(("metadata from Python (docker-hostnet)", "python -c pass", ours, base, "≤ 2×"))
    with tempfile.TemporaryDirectory() as with_plugin, tempfile.TemporaryDirectory() as without:
        subprocess.run(
            [str(BIN / "hostnet"), "install"],
            env={**os.environ, "DOCKER_CONFIG": with_plugin},
            check=True,
            capture_output=True,
        )
        plugin = Path(with_plugin) / "cli-plugins" / "docker-hostnet"
        ours, base = side_by_side(
            sh(str(plugin), "docker-cli-plugin-metadata"), sh(sys.executable, "-c", "pass"), runs
        )
        rows.append(
            ("metadata from the installed plugin (sh)", "python -c pass", ours, base, "≤ 2×")
        )
        ours, base = side_by_side(
            sh("docker", "--help", env={"DOCKER_CONFIG": with_plugin}),
            sh("docker", "--help", env={"DOCKER_CONFIG": without}),
            runs,
        )
    rows.append(("docker --help, plugin installed", "without the plugin", ours, base, "≤ 1.25×"))
    return rows


def lesson_rows(runs: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as state:
        env = {"HOSTNET_PROGRESS_DB": f"{state}/p.sqlite"}
        ours, base = side_by_side(
            sh(str(BIN / "hostnet"), "lesson", "1", "--auto", "--var", f"image={IMAGE}", env=env),
            sh("bash", str(REPO / "bench" / "lesson1.sh"), IMAGE),
            runs,
        )
    return [("lesson 1 --auto", "the same commands + checks in bash", ours, base, "≤ 1.5×")]


def ssh_rows(runs: int) -> list[Row]:
    from hostnet.engine.labs import netns
    from hostnet.engine.ssh import SSHTarget
    from hostnet.engine.targets import LocalTarget

    rows: list[Row] = []
    base = Path(tempfile.mkdtemp())
    ups, downs = [], []
    for i in range(3):
        ups.append(timed(lambda i=i: netns.up(f"bench-{i}", base=base)))
        downs.append(timed(lambda i=i: netns.down(f"bench-{i}", base=base)))
    lab = netns.up("bench-ssh", base=base)
    try:
        remote = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
        local = LocalTarget()
        n = 50

        def many(target: object) -> Callable[[], object]:
            return lambda: [target.run("true", timeout=10) for _ in range(n)]  # type: ignore[attr-defined]

        ssh_t, local_t = side_by_side(many(remote), many(local), max(3, runs // 3))
        fresh = sh("ssh", "-F", str(lab.ssh_config), lab.name, "true")
        fresh_t, _ = side_by_side(lambda: [fresh() for _ in range(10)], lambda: None, 3)
        rows.append(
            ("`true` over SSH, reused connection", "locally", ssh_t / n, local_t / n, "≤ 2×")
        )
        rows.append(
            (
                "`true` over SSH, reused connection",
                "a fresh `ssh` per command",
                ssh_t / n,
                fresh_t / 10,
                "(gain)",
            )
        )
        remote.close()
    finally:
        netns.down("bench-ssh", base=base)
        shutil.rmtree(base, ignore_errors=True)
    rows.append(("lab up --netns (median of 3)", "goal 10 s", statistics.median(ups), 10.0, "< 1×"))
    rows.append(("lab down (median of 3)", "goal 5 s", statistics.median(downs), 5.0, "< 1×"))
    return rows


def bot_lines() -> list[str]:
    """The bot's figures come from its load scenario (tests/bot/test_load.py): the
    real bolt App against a local stand-in for Slack, 5 labs running steps."""
    import re

    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(REPO / "tests" / "bot" / "test_load.py")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    found = re.findall(r"(ack latency of [^\n]*|bot overhead [^\n]*)", res.stdout)
    if res.returncode != 0 or len(found) != 2:
        return [
            f"- bot: the load scenario failed (exit {res.returncode}); see tests/bot/test_load.py"
        ]
    return [
        f"- {line} (goal: ack p99 < 100 ms; Slack's limit is 3 s)" if "ack" in line else f"- {line}"
        for line in found
    ]


def workshop_lines() -> list[str]:
    """N learners take lesson 1 through the bot at once, each on a netns lab of their
    own (bench/workshop.py, in a process of its own so the bot's memory is its own)."""
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "workshop.py")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.terminate()  # SIGTERM: it takes its labs down before it exits
        out, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or not out.strip():
        why = (err.strip().splitlines() or ["no output"])[-1]
        return [f"- workshop scale: failed (exit {proc.returncode}): {why}"]
    return out.strip().splitlines()


def vm_lines() -> list[str]:
    """Lab VMs (bench/vm.py): the image build, boots, lesson 1 on a VM against a netns
    lab and locally, memory per VM. Minutes under TCG."""
    res = subprocess.run(
        [sys.executable, str(REPO / "bench" / "vm.py")],
        cwd=REPO, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    if res.returncode != 0 or not res.stdout.strip():
        why = (res.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"- lab VMs: failed (exit {res.returncode}): {why}"]
    return res.stdout.strip().splitlines()


def table(rows: list[Row]) -> str:
    lines = [
        "| measured | against | ours | theirs | ratio | goal |",
        "|---|---|---:|---:|---:|---|",
    ]
    for what, against, ours, theirs, goal in rows:
        lines.append(
            f"| {what} | {against} | {ours * 1000:.1f} ms | {theirs * 1000:.1f} ms | {ours / theirs:.2f}× | {goal} |"
        )
    return "\n".join(lines)


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
        choices=["plugin", "lesson", "ssh", "bot", "workshop", "vm"],
    )
    args = parser.parse_args()
    rows: list[Row] = []
    for name, section in (("plugin", plugin_rows), ("lesson", lesson_rows), ("ssh", ssh_rows)):
        if name not in args.skip:
            rows += section(args.runs if name != "lesson" else max(3, args.runs // 3))
    report = f"Machine: {machine()}\n\n{table(rows)}\n"
    if "bot" not in args.skip:
        report += "\nSlack bot (100 clicks at once while 5 lessons run steps on 5 labs):\n\n"
        report += "\n".join(bot_lines()) + "\n"
    if "workshop" not in args.skip:
        report += (
            "\nWorkshop scale (N learners take lesson 1 through the bot at once, each on a netns"
            " lab of their own, in one channel; bench/workshop.py):\n\n"
        )
        report += "\n".join(workshop_lines()) + "\n"
    if "vm" not in args.skip:
        report += (
            "\nLab VMs (scripts/vm-lab.sh: qemu, user-mode network; bench/vm.py). KVM is used"
            " where a Linux guest boots with it; where it does not, TCG emulates every"
            " instruction:\n\n"
        )
        report += "\n".join(vm_lines()) + "\n"
    print(report)
    if args.write:
        (REPO / "bench" / "RESULTS.md").write_text(
            "# Benchmark results\n\nProduced by `.venv/bin/python bench/run.py --write` "
            f"on {time.strftime('%Y-%m-%d')}.\n\n{report}"
        )


if __name__ == "__main__":
    main()
