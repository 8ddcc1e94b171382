"""Lab VMs, measured (bench/run.py runs this; markdown on stdout):

* the image build, cold (a throwaway cache) and cached (the real one);
* boot to SSH and to a ready Docker engine (scripts/vm-lab.sh up, twice);
* lesson 1 --auto on the VM, on a netns lab and locally, side by side;
* memory per VM: qemu's RSS on this machine, and what the guest uses.

Needs root, the set-up of scripts/test.sh (qemu, debootstrap, the stand-in
image, the VM image) and port 80 free here. Takes 5-10 minutes under TCG.
"""

from __future__ import annotations

import argparse
import os
import re
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
SCRIPT = REPO / "scripts" / "vm-lab.sh"


def run(*argv: str, env: dict[str, str] | None = None, timeout: float = 1800) -> str:
    res = subprocess.run(
        argv, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout
    )
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({res.returncode}): {res.stderr[-2000:]}")
    return res.stdout


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def build_rows(cold: bool) -> list[str]:
    rows = []
    if cold:
        with tempfile.TemporaryDirectory(dir="/var/tmp") as cache:
            env = {"HOSTNET_VM_CACHE": cache, "LAB_IMAGE": IMAGE}
            took = timed(lambda: run("bash", str(SCRIPT), "build", env=env))
        rows.append(
            f"| image build, cold (debootstrap, boot, provision) | {took:.0f} s | one run |"
        )
    cached = [timed(lambda: run("bash", str(SCRIPT), "build", env={"LAB_IMAGE": IMAGE}))
              for _ in range(3)]  # fmt: skip
    rows.append(f"| image build, cached | {statistics.median(cached):.2f} s | median of 3 |")
    return rows


def lesson(env: dict[str, str], *extra: str) -> Callable[[], object]:
    argv = [str(BIN / "hostnet"), "lesson", "1", "--auto", "--var", f"image={IMAGE}", *extra]

    def go() -> object:
        return run(*argv, env=env, timeout=600)

    return go


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="lesson runs per side")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold image build")
    parser.add_argument(
        "--write", action="store_true", help="put the table into bench/RESULTS.md (its VM part)"
    )
    args = parser.parse_args()

    from hostnet.engine.labs import netns, registry
    from hostnet.engine.labs.spec import LabSpec

    lines = ["| measured | value | how |", "|---|---:|---|"]
    lines += build_rows(cold=not args.no_cold)
    base = Path(tempfile.mkdtemp(prefix="hostnet-bench-vm-"))
    vm_env = {"HOSTNET_VM_DIR": str(base / "vms")}
    labs_file = base / "labs.json"
    env = {"HOSTNET_LABS_FILE": str(labs_file), "HOSTNET_PROGRESS_DB": str(base / "p.sqlite")}
    os.environ["HOSTNET_LABS_FILE"] = str(labs_file)
    name, accel = "bench-vm", "?"
    boots: list[tuple[float, float]] = []
    try:
        for attempt in range(2):
            out = run("bash", str(SCRIPT), "up", name, env=vm_env)
            found = re.search(r"SSH after ([\d.]+) s, Docker engine after ([\d.]+) s \((\w+),", out)
            assert found, out
            boots.append((float(found[1]), float(found[2])))
            accel = found[3]
            if attempt == 0:
                run("bash", str(SCRIPT), "down", name, env=vm_env)
        config = base / "vm.ssh"
        config.write_text(run("bash", str(SCRIPT), "ssh-config", name, env=vm_env))
        registry.add(LabSpec(name=name, ssh_config=config))
        pid = int((base / "vms" / name / "qemu.pid").read_text())
        idle_rss = rss_mib(pid)
        ssh = ["ssh", "-F", str(config), name]
        guest = run(*ssh, "free -m | awk '/^Mem:/ {print $2, $3}'").split()

        netns_lab = netns.up("bench-nl", image=IMAGE, base=base / "netns")
        registry.add(netns_lab.spec())
        sides = {
            "on the VM": lesson(env, "--lab", name),
            "on a netns lab": lesson(env, "--lab", "bench-nl"),
            "locally": lesson(env),
        }
        times: dict[str, list[float]] = {k: [] for k in sides}
        for go in sides.values():
            go()  # warm-up
        for _ in range(args.runs):
            for side, go in sides.items():
                times[side].append(timed(go))
        busy_rss = rss_mib(pid)
        netns.down("bench-nl", base=base / "netns")
    finally:
        run("bash", str(SCRIPT), "down", name, env=vm_env)
        shutil.rmtree(base, ignore_errors=True)

    ssh_s = statistics.median(b[0] for b in boots)
    engine_s = statistics.median(b[1] for b in boots)
    lines.append(f"| boot to SSH ({accel}) | {ssh_s:.1f} s | median of {len(boots)} boots |")
    lines.append(f"| boot to a ready engine ({accel}) | {engine_s:.1f} s | same boots |")
    local = statistics.median(times["locally"])
    for side, values in times.items():
        median = statistics.median(values)
        lines.append(
            f"| lesson 1 --auto {side} | {median:.1f} s ({median / local:.1f}× local) "
            f"| median of {args.runs}, sides alternating |"
        )
    lines.append(
        f"| memory per VM, this machine (qemu RSS) | {idle_rss:.0f} MiB idle, {busy_rss:.0f} MiB"
        " after the lessons | VM_MEMORY=1024 |"
    )
    lines.append(
        f"| memory per VM, the guest's view | {guest[1]} MiB used of {guest[0]} MiB | free -m |"
    )
    print("\n".join(lines))
    if args.write:
        write(lines)


HEADING = "Lab VMs (scripts/vm-lab.sh"  # how bench/run.py introduces this section


def write(lines: list[str]) -> None:
    """Replace the VM part of bench/RESULTS.md (what run.py writes there), or add it."""
    results = REPO / "bench" / "RESULTS.md"
    text = results.read_text()
    if HEADING in text:
        text = text[: text.index(HEADING)].rstrip("\n") + "\n"
    intro = (
        f"\n{HEADING}: qemu, user-mode network; bench/vm.py, run alone on"
        f" {time.strftime('%Y-%m-%d')}). KVM is used where a Linux guest boots with it; where"
        " it does not, TCG emulates every instruction:\n\n"
    )
    results.write_text(text + intro + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
