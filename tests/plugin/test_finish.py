"""The programs' exit (``plugin/main.py: finish``): fast, but it still does what an
exit does for the program: flushed output, atexit handlers, the exit code, and
a wait for threads still at work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def finishing(body: str, code: int) -> subprocess.CompletedProcess[str]:
    """``body`` run in a fresh Python, then ``finish(code)``; its output buffered, as
    a program's is into a pipe (without PYTHONUNBUFFERED)."""
    program = f"{body}\nfrom hostnet.plugin.main import finish\nfinish({code})\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=env
    )


def test_the_output_is_all_there_and_the_code_is_kept() -> None:
    res = finishing("import sys\nfor i in range(20000): print(i)\nsys.stderr.write('unflushed')", 5)
    assert res.returncode == 5
    assert res.stdout.splitlines() == [str(i) for i in range(20000)]
    assert res.stderr == "unflushed"


def test_atexit_handlers_run() -> None:
    res = finishing("import atexit\natexit.register(print, 'handler ran')", 0)
    assert (res.returncode, res.stdout) == (0, "handler ran\n")


def test_a_thread_at_work_is_waited_for() -> None:
    body = (
        "import threading, time\n"
        "def work():\n"
        "    time.sleep(0.3)\n"
        "    print('thread done', flush=True)\n"
        "threading.Thread(target=work).start()"
    )
    res = finishing(body, 3)
    assert (res.returncode, res.stdout) == (3, "thread done\n")


def test_the_programs_use_it(hostnet_bin: Path) -> None:
    """The console scripts' entry point is ``entry``, which ends in ``finish``: an
    exit code from deep inside (a lesson that does not exist) comes out as before."""
    script = hostnet_bin.read_text()
    assert "import entry" in script, script
    res = subprocess.run(
        [str(hostnet_bin), "lesson", "99", "--auto"], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 3, res.stderr
    assert "no lesson '99'" in res.stderr and "Traceback" not in res.stderr
