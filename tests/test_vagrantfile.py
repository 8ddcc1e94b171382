"""The lab Vagrantfile parses offline, and scripts/provision-lab.sh is shellcheck-clean.

Nothing boots and nothing touches the network: `vagrant validate
--ignore-provider` checks the Vagrantfile without VirtualBox or libvirt.
Vagrant's own state goes to a temporary VAGRANT_HOME and VAGRANT_DOTFILE_PATH,
so neither ~/.vagrant.d nor the repo's .vagrant/ is written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
TIMEOUT = 120  # seconds; each vagrant call takes about one
BAD_COUNT = "LAB_COUNT must be a positive integer"

Run = Callable[..., subprocess.CompletedProcess[str]]


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        reason = f"{tool} is not installed (apt-get install {tool})"
        if IN_CI:
            pytest.fail(f"{reason}; CI=true must provide it, never skip")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def vagrant(tmp_path_factory: pytest.TempPathFactory) -> Run:
    _need("vagrant")
    tmp = tmp_path_factory.mktemp("vagrant")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAB_")}
    env.update(
        VAGRANT_HOME=str(tmp / "home"),
        VAGRANT_DOTFILE_PATH=str(tmp / "dotfile"),
        VAGRANT_CHECKPOINT_DISABLE="1",  # no version check with HashiCorp
    )

    def run(*args: str, **lab: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["vagrant", *args],
            cwd=REPO,
            env={**env, **lab},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    return run


@pytest.mark.parametrize("lab", [{}, {"LAB_COUNT": "3"}], ids=["default", "three"])
def test_validate(vagrant: Run, lab: dict[str, str]) -> None:
    result = vagrant("validate", "--ignore-provider", **lab)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validated successfully" in result.stdout
    count = int(lab.get("LAB_COUNT", "1"))
    for n in range(1, 5):
        assert (f"lab-0{n}:" in result.stdout) == (n <= count), result.stdout


@pytest.mark.parametrize("count", ["0", "abc"])
def test_validate_rejects_bad_count(vagrant: Run, count: str) -> None:
    result = vagrant("validate", "--ignore-provider", LAB_COUNT=count)
    assert result.returncode != 0
    assert BAD_COUNT in result.stdout + result.stderr


def test_shell_scripts_pass_shellcheck() -> None:
    _need("shellcheck")
    scripts = sorted(str(p.relative_to(REPO)) for p in (REPO / "scripts").glob("*.sh"))
    result = subprocess.run(
        ["shellcheck", "-x", ".ci/run", *scripts],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
