"""bench/workshop.py in small modules: what they import, and its command line."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.support.env import REPO

BENCH = REPO / "bench"


def test_bench_never_imports_the_tests() -> None:
    """bench/ uses product code and the bot's test kit (hostnet.bot.testing), never tests/."""
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                assert name.split(".")[0] != "tests", f"{path.name} imports {name}"


def test_the_workshop_command_line_is_kept_and_offers_the_soak() -> None:
    res = subprocess.run(
        [sys.executable, str(BENCH / "workshop.py"), "--help"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    for option in ("--sizes", "--repeats", "--paced", "--interval", "--soak ROUNDS", "--size"):
        assert option in res.stdout, res.stdout
