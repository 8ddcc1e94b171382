"""PostgreSQL in tests: a database of its own for each test on the local server
(scripts/ensure-postgres.sh starts it; scripts/test.sh exports its URL), and
private servers a test may stop and start (a database that restarts).

Locally, a missing server or driver skips with the reason; with CI=true it fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ADMIN_ENV = "HOSTNET_TEST_POSTGRES"
DEFAULT_ADMIN = "postgresql://hostnet_test:hostnet_test@127.0.0.1:5432/postgres"
PREFIX = "hostnet_t_"  # every database the tests make


def admin_url() -> str:
    return os.environ.get(ADMIN_ENV) or DEFAULT_ADMIN


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def unavailable_reason(url: str) -> str | None:
    """Why PostgreSQL cannot be used here, or None."""
    try:
        import psycopg
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed: pip install '.[postgres]' (scripts/test.sh does)"
    try:
        with psycopg.connect(url, connect_timeout=5):
            return None
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no PostgreSQL server at {url}: {first} (run scripts/ensure-postgres.sh)"


def create_database(admin: str) -> str:
    """A new, empty database; its URL."""
    import psycopg

    name = PREFIX + secrets.token_hex(4)
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return with_database(admin, name)


def drop_database(admin: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    assert name.startswith(PREFIX), name
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    """Read a database as an operator would (a connection of its own)."""
    import psycopg

    with psycopg.connect(url) as db:
        return list(db.execute(sql).fetchall())


# ------------------------------------------------------------------ a private server


def _bin(tool: str) -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    for folder in reversed(versions):
        if (folder / tool).exists():
            return folder / tool
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateServer:
    """A PostgreSQL server of one test's own (initdb in a temporary folder, as the
    ``postgres`` user, on 127.0.0.1 and a free port): it may be stopped and started."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="hostnet-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(
            str(_bin("initdb")),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )

    @staticmethod
    def missing() -> str | None:
        if _bin("initdb") is None or _bin("pg_ctl") is None:
            return "PostgreSQL's server is not installed (apt-get install postgresql)"
        if os.geteuid() != 0 or shutil.which("runuser") is None:
            return "a private PostgreSQL server needs root (it runs as the postgres user)"
        return None

    def _as_postgres(self, *argv: str, timeout: float = 120) -> None:
        res = subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=self.folder,
        )
        assert res.returncode == 0, f"{argv[0]}: {res.stdout}{res.stderr}"

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.folder}"
        )
        self._as_postgres(
            str(_bin("pg_ctl")), "-D", str(self.data), "-l", str(self.folder / "log"),
            "-o", options, "-w", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(_bin("pg_ctl")), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def log(self) -> str:
        with contextlib.suppress(OSError):
            return (self.folder / "log").read_text()[-3000:]
        return ""

    def remove(self) -> None:
        if self.running():
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def private_server() -> Iterator[PrivateServer]:
    server = PrivateServer()
    try:
        server.start()
        deadline = time.monotonic() + 30
        while unavailable_reason(server.url) is not None:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)
        yield server
    finally:
        server.remove()
