"""Start-up per command: what a learner waits for before anything happens.

``hostnet lessons`` is the first command a learner types; ``--help`` runs on
every glance and shell completion on every Tab. Each is compared with the
Python interpreter doing nothing (``python -c pass``), side by side.
Imported by bench/run.py (its ``Row``, ``compare`` and ``sh`` are passed in,
so this file imports nothing of run.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def startup_rows(
    runs: int,
    *,
    compare: Callable[..., Any],
    sh: Callable[..., Callable[[], object]],
    env: dict[str, str],
) -> Iterator[Any]:
    hostnet = str(BIN / "hostnet")
    nothing = sh(sys.executable, "-c", "pass")
    # Tab after `hostnet les` in bash (Typer's completion protocol), and after
    # `hostnet lesson --` in zsh (options with their help).
    complete_bash = {
        **env,
        "_HOSTNET_COMPLETE": "complete_bash",
        "COMP_WORDS": "hostnet les",
        "COMP_CWORD": "1",
    }
    complete_zsh = {
        **env,
        "_HOSTNET_COMPLETE": "complete_zsh",
        "_TYPER_COMPLETE_ARGS": "hostnet lesson --",
    }
    cases = [
        ("`hostnet lessons`", sh(hostnet, "lessons", env=env), "≤ 8×"),
        ("`hostnet lessons --json`", sh(hostnet, "lessons", "--json", env=env), "≤ 8×"),
        ("`hostnet --help`", sh(hostnet, "--help", env=env), "≤ 8×"),
        ("`hostnet lesson --help`", sh(hostnet, "lesson", "--help", env=env), "≤ 8×"),
        ("completion, bash: `hostnet les<Tab>`", sh(hostnet, env=complete_bash), "≤ 8×"),
        ("completion, zsh: `hostnet lesson --<Tab>`", sh(hostnet, env=complete_zsh), "≤ 8×"),
    ]
    for what, ours, goal in cases:
        yield compare(what, "python -c pass", ours, nothing, runs, goal)
