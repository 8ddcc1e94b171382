"""bench/workshop.py in small modules: what they import, and its command line."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.support.env import REPO

BENCH = REPO / "bench"
SIBLINGS = {p.stem for p in BENCH.glob("*.py")}


def test_bench_imports_product_code_and_the_test_kit_never_tests() -> None:
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top != "tests", f"{path.name} imports {name}"
                if top == "hostnet" and name.startswith("hostnet.bot.testing"):
                    continue
                assert (
                    top in SIBLINGS
                    or top == "hostnet"
                    or top in sys.stdlib_module_names
                    or top == "slack_bolt"
                ), f"{path.name} imports {name}"


def test_the_workshop_command_line_is_kept_and_offers_the_soak() -> None:
    res = subprocess.run(
        [sys.executable, str(BENCH / "workshop.py"), "--help"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    for option in ("--sizes", "--repeats", "--paced", "--interval", "--soak ROUNDS", "--size"):
        assert option in res.stdout, res.stdout
