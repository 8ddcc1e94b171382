"""How long ``docker hostnet map`` takes: the median of 5 runs of the installed CLI
(what a learner waits for, Python's start included), and of the reading alone
(``read_map``, as a ``map: true`` step pays it), locally and on a netns lab over
SSH; each with nginx on the host network and nginx on the default bridge running.

    .venv/bin/python bench/netmap.py

Needs the set-up of scripts/test.sh (Docker, the stand-in image; root and
openssh-server for the netns lab) and the shared lock (it binds port 80).
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hostnet.engine.labs import netns
from hostnet.engine.netmap import read_map
from hostnet.engine.ssh import SSHTarget
from hostnet.engine.targets import LocalTarget, Target

BIN = Path(sys.executable).parent
IMAGE = os.environ.get("HOSTNET_BENCH_IMAGE", "hostnet/nginx-standin:latest")
RUNS = 5


def median(action: Callable[[], object]) -> float:
    action()  # warm-up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def start_pair(target: Target) -> list[str]:
    names = [f"bench_map_{network}_{secrets.token_hex(2)}" for network in ("host", "bridge")]
    for name, network in zip(names, ("host", "bridge"), strict=True):
        res = target.run(
            f"docker run -d --rm --network {network} --name {name} {IMAGE}", timeout=120
        )
        if not res.ok:
            raise SystemExit(f"cannot start {name}: {res.output}")
    return names


def cli(*args: str, env: dict[str, str] | None = None) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(
            [str(BIN / "hostnet"), "map", *args],
            env={**os.environ, **(env or {})}, capture_output=True, check=True,
        )  # fmt: skip

    return run


def main() -> None:
    rows = []
    local = LocalTarget()
    names = start_pair(local)
    try:
        rows.append(("local", median(cli()), median(lambda: read_map(local))))
    finally:
        local.run("docker rm -f " + " ".join(names), timeout=60)
        local.close()
    with tempfile.TemporaryDirectory() as tmp:
        lab = netns.up(f"bm-{secrets.token_hex(2)}", image=IMAGE, base=Path(tmp))
        try:
            target = SSHTarget.open(lab.name, ssh_config=lab.ssh_config)
            start_pair(target)
            registry = {"HOSTNET_LABS_FILE": str(Path(tmp) / "labs.json")}
            subprocess.run(
                [str(BIN / "hostnet"), "lab", "add", lab.name, "--ssh-config", str(lab.ssh_config)],
                env={**os.environ, **registry}, capture_output=True, check=True,
            )  # fmt: skip
            on_lab = cli("--lab", lab.name, env=registry)
            rows.append(("netns lab over SSH", median(on_lab), median(lambda: read_map(target))))
            target.close()
        finally:
            netns.down(lab.name, base=Path(tmp))
    print(f"docker hostnet map, median of {RUNS} (seconds)")
    print(f"{'where':<22}{'CLI':>8}{'read_map':>10}")
    for where, whole, reading in rows:
        print(f"{where:<22}{whole:>8.3f}{reading:>10.3f}")


if __name__ == "__main__":
    main()
