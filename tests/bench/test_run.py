"""bench/run.py survives its own failures: a failed command is a FAILED row with
its output, a broken section is one FAILED row, and the run goes on."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

from tests.support.env import REPO


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", REPO / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def test_a_failed_baseline_is_a_failed_row_with_its_output(bench: ModuleType) -> None:
    ok = bench.sh(sys.executable, "-c", "pass")
    baseline = bench.sh("sh", "-c", "echo measuring; echo 'FAIL: request not logged' >&2; exit 1")
    row = bench.compare("lesson 1 --auto", "bash", ok, baseline, 3, "≤ 1.5×")
    assert (
        row.failed
        == "`sh -c echo measuring; echo 'FAIL: request not logged' >&2; exit 1` exited 1: FAIL: request not logged"
    )
    assert "measuring" in row.output and "FAIL: request not logged" in row.output
    assert "| lesson 1 --auto | bash | – | – | FAILED: " in row.line()
    assert row.line().endswith("| ≤ 1.5× |")
    assert row.line().count("|") == 7  # still one table row


def test_a_broken_section_keeps_its_rows_and_ends_in_a_failed_row(bench: ModuleType) -> None:
    def section(runs: int) -> Iterator[object]:
        yield bench.Row("first", "goal 1 s", 0.5, 1.0, "< 1×")
        raise OSError("lab up failed: no such device")

    rows = list(bench.rows_of("ssh", section, 1))
    assert [r.what for r in rows] == ["first", "the ssh section"]
    assert (
        rows[0].failed is None
        and rows[0].line() == "| first | goal 1 s | 500.0 ms | 1000.0 ms | 0.50× | < 1× |"
    )
    assert rows[1].failed == "OSError: lab up failed: no such device"
    assert "Traceback" in rows[1].output
    text = "\n".join(bench.failures(rows[1:]))
    assert "the ssh section" in text and "no such device" in text


@pytest.mark.docker
def test_the_run_goes_on_after_a_failed_lesson_row(docker_client: object) -> None:
    """End to end: an image that does not exist fails lesson 1 both ways; the bench
    prints the row as FAILED with what the commands said, then goes on to the end."""
    env = {**os.environ, "HOSTNET_BENCH_IMAGE": "hostnet/no-such-image:latest"}
    skip = [a for s in ("plugin", "ssh", "bot", "workshop") for a in ("--skip", s)]
    res = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--runs", "1", *skip],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].startswith("Machine: ")
    [row] = [line for line in lines if line.startswith("| lesson 1 --auto |")]
    assert "| FAILED: `" in row, res.stdout
    assert "Failed rows, with the output of what failed:" in lines
    assert "hostnet/no-such-image" in res.stdout.split("Failed rows", 1)[1]
    at = lines.index(next(line for line in lines if line.startswith("| CPU of one Slack Web")))
    slack = lines[at : at + 3]  # CPU vs slack_sdk's default; kept vs not; a round trip away
    assert [line.split(" | ")[1] for line in slack] == [
        "slack_sdk's default (a new TLS context and connection per call)",
        "one TLS context, a new connection per call",
        "a new connection per call (its TCP handshake not delayed)",
    ]
    assert all("FAILED" not in line and line.endswith("× | (gain) |") for line in slack)
