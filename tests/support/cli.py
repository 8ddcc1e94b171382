"""The installed ``hostnet``, run as a user runs it: no terminal (so no colours and
no wrapping), nothing on standard input."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path


def hostnet(
    bin_: Path,
    *args: str,
    timeout: float = 300,
    env: Mapping[str, str] | None = None,
    **more: str,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_), *args],
        env={**os.environ, "NO_COLOR": "1", **(env or {}), **more},
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_clean_error(res: subprocess.CompletedProcess[str], code: int, *fragments: str) -> None:
    """Exit ``code``, one ``error:`` line (plus its hint), no traceback."""
    both = res.stdout + res.stderr
    assert res.returncode == code, both
    assert "Traceback" not in both and "internal error" not in both, both
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, res.stderr
    for fragment in fragments:
        assert fragment in res.stderr, res.stderr
