"""The progress database locked by another process, read-only, or on a full disk:
one clear error (exit 4) and no traceback, the lesson's containers removed, the
file intact (PRAGMA integrity_check) with everything recorded before the fault.

The lesson runs on this machine's engine (a bridge container with a name of its
own; nothing binds a host port). As root, file modes do not stop writes, so
"read-only" is a read-only bind mount and "disk full" a 64 KiB tmpfs, filled up.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostnet.engine.progress import ProgressStore
from tests.support.cli import assert_clean_error, hostnet
from tests.support.faults import (
    container_name,
    integrity,
    steps_recorded,
)

pytestmark = pytest.mark.docker

LOCKER = """\
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")  # no other connection may read or write
print("locked", flush=True)
sys.stdin.read()  # until the test closes stdin
db.execute("ROLLBACK")
"""


class Fault:
    """One way the progress database becomes unusable, applied and released on demand."""

    kind = ""
    message = ""  # what SQLite says, in the error

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir()

    @property
    def db(self) -> Path:
        return self.directory / "progress.sqlite"

    def apply(self) -> None: ...

    def release(self) -> None: ...

    def teardown(self) -> None:
        self.release()


class Locked(Fault):
    kind = "locked"
    message = "database is locked"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.proc: subprocess.Popen[str] | None = None

    def apply(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(self.db)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline() == "locked\n"

    def release(self) -> None:
        if self.proc is not None:
            self.proc.communicate(timeout=30)  # closes its stdin: it rolls back and exits
            assert self.proc.returncode == 0
            self.proc = None


class ReadOnly(Fault):
    kind = "read-only"
    message = "attempt to write a readonly database"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.mounted = False

    def apply(self) -> None:
        subprocess.run(["mount", "--bind", str(self.directory), str(self.directory)], check=True)
        self.mounted = True
        subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(self.directory)], check=True
        )  # fmt: skip

    def release(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.directory)], check=True)
            self.mounted = False


class DiskFull(Fault):
    kind = "disk full"
    message = "database or disk is full"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(directory)],
            check=True,
        )
        self.filler = directory / "filler"

    def apply(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)

    def release(self) -> None:
        self.filler.unlink(missing_ok=True)

    def teardown(self) -> None:
        self.release()
        subprocess.run(["umount", str(self.directory)], check=True)


@pytest.fixture(params=[Locked, ReadOnly, DiskFull], ids=["locked", "read-only", "disk-full"])
def fault(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Fault]:
    """The progress database in a place that will fail; it already holds some progress."""
    made: Fault = request.param(tmp_path / "state")
    try:
        monkeypatch.setenv("HOSTNET_PROGRESS_DB", str(made.db))
        ProgressStore(made.db).record("local", "engine-fault", "earlier", "passed")
        yield made
    finally:
        made.teardown()


def engine_containers(docker_client, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [c.name for c in docker_client.containers.list(all=True, filters={"name": f"^{name}$"})]


def test_the_database_fails_before_the_lesson(
    fault: Fault, fault_lessons: Path, hostnet_bin: Path, docker_client, timings
) -> None:  # type: ignore[no-untyped-def]
    name = container_name()
    fault.apply()
    try:
        started = time.monotonic()
        listed = hostnet(hostnet_bin, "lessons")
        if isinstance(fault, Locked):  # nobody can even read it
            timings("`lessons` on a locked database → exit 4", time.monotonic() - started)
            assert_clean_error(listed, 4, f"cannot use the progress database {fault.db}")
            assert fault.message in listed.stderr
        else:  # reading still works: the list and its progress
            assert listed.returncode == 0, listed.stdout + listed.stderr
            assert "step 1 of 3" in listed.stdout

        started = time.monotonic()
        res = hostnet(hostnet_bin, "lesson", "1", "--auto", "--var", f"container={name}")
        timings(f"`lesson 1 --auto`, database {fault.kind} → exit 4", time.monotonic() - started)
        assert_clean_error(res, 4, f"cannot use the progress database {fault.db}", fault.message)
        assert "[1/3]" not in res.stdout  # failed before the first step ran
        assert engine_containers(docker_client, name) == []
    finally:
        fault.release()
    assert integrity(fault.db) == "ok"
    assert steps_recorded(fault.db, "engine-fault") == {"earlier": ("passed", 1)}


def test_the_database_fails_in_the_middle_of_the_lesson(
    fault: Fault, fault_lessons: Path, hostnet_bin: Path, background, docker_client, timings
) -> None:  # type: ignore[no-untyped-def]
    name = container_name()
    run = background(hostnet_bin, "lesson", "1", "--auto",
                     "--var", f"container={name}", "--var", "seconds=2")  # fmt: skip
    try:
        run.wait_for(f"$ docker exec {name} sleep 2")
        assert engine_containers(docker_client, name) == [name]
        fault.apply()
        applied = time.monotonic()
        res = run.finish(timeout=120)
        timings(
            f"database {fault.kind} mid-lesson → exit 4 (incl. the 2 s step)",
            time.monotonic() - applied,
        )
    finally:
        fault.release()
    assert_clean_error(res, 4, f"cannot use the progress database {fault.db}", fault.message)
    assert "[3/3]" not in res.stdout
    assert engine_containers(docker_client, name) == []  # the cleanup ran
    assert integrity(fault.db) == "ok"
    # Step 1 was recorded before the fault; step 2's verdict could not be.
    assert steps_recorded(fault.db, "engine-fault") == {
        "earlier": ("passed", 1),
        "start": ("passed", 1),
    }
    # And once the database is usable again, so is the lesson.
    again = hostnet(hostnet_bin, "lesson", "1", "--auto",
                    "--var", f"container={name}", "--var", "seconds=0")  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert steps_recorded(fault.db, "engine-fault")["start"] == ("passed", 2)
    assert engine_containers(docker_client, name) == []
    assert os.path.exists(fault.db)
