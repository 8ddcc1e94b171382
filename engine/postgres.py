"""PostgreSQL for the stores, when ``database:`` is a URL (``postgresql://user@host/db``).

One :class:`Postgres` per database: a psycopg 3 connection pool shared by the
bot's store and the progress store. The stores write their SQL once, as SQLite
takes it (``?`` placeholders); :class:`Connection` gives it to psycopg with
``%s`` ones, and enum values as their plain strings. That, the identity column
and row locks (``FOR UPDATE``, which SQLite's one writer makes needless) are all
that differs between the two.

The driver is the ``postgres`` extra (``pip install 'docker-hostnet[bot,postgres]'``),
imported only when a URL is used.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Any

from .errors import EnvironmentProblem, first_line

if TYPE_CHECKING:
    from psycopg import Connection as PgConnection
    from psycopg import Cursor

SCHEMES = ("postgresql://", "postgres://")
POOL_SIZE = 16  # connections per process: transactions last milliseconds
CONNECT_TIMEOUT = 5  # seconds to wait for a connection (server down: an error, not a hang)


def is_postgres_url(where: object) -> bool:
    return isinstance(where, str) and where.startswith(SCHEMES)


def redact_url(url: str) -> str:
    """The URL as it may be shown: no password, in the user part or in the query."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = urllib.parse.urlencode(
        [
            (k, "***" if k.lower() == "password" else v)
            for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="/*",
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _plain(value: Any) -> Any:
    """psycopg dumps a Python enum by its name; the stores mean its value."""
    return value.value if isinstance(value, Enum) else value


class Connection:
    """A pooled connection inside one transaction, taking the stores' SQL as written."""

    def __init__(self, conn: PgConnection[Any]) -> None:
        self._conn = conn

    @staticmethod
    def _sql(sql: str) -> str:
        assert "%" not in sql, "the stores' SQL has no % (psycopg would take it for a placeholder)"
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor[Any]:
        return self._conn.execute(self._sql(sql), [_plain(p) for p in params])

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor[Any]:
        cursor = self._conn.cursor()
        cursor.executemany(self._sql(sql), [[_plain(p) for p in row] for row in rows])
        return cursor

    def lock(self, key: int) -> None:
        """Wait for, then hold until the transaction ends, the advisory lock ``key``
        (migrations: several processes starting at once migrate once)."""
        self._conn.execute("SELECT pg_advisory_xact_lock(%s)", [key])


class Postgres:
    """A pool of connections to one database; :meth:`transaction` is the only way in."""

    def __init__(self, url: str, *, size: int = POOL_SIZE) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError:
            raise EnvironmentProblem(
                "database: is a PostgreSQL URL, but PostgreSQL support is not installed",
                hint="pip install 'docker-hostnet[bot,postgres]'",
            ) from None
        self.url = url
        self.name = redact_url(url)
        self.errors: tuple[type[Exception], ...] = (psycopg.Error,)
        try:  # first, once: the server's own reason when it cannot be reached
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT).close()
        except psycopg.Error as exc:
            raise EnvironmentProblem(
                f"cannot reach the database {self.name}: {first_line(exc)}",
                hint="is the PostgreSQL server up and reachable, and the URL right? "
                "(`database:` in the bot's configuration; a password may come from "
                "PGPASSWORD or ~/.pgpass)",
            ) from None
        # check: a connection broken by a server restart is replaced when taken,
        # so the first transaction after a restart works instead of failing.
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            timeout=CONNECT_TIMEOUT,
            open=False,
            check=ConnectionPool.check_connection,
            kwargs={
                "autocommit": True,  # transactions are explicit (transaction())
                "connect_timeout": CONNECT_TIMEOUT,
                "application_name": "hostnet",
            },
            name="hostnet",
        )
        self._pool.open(wait=False)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._pool.connection() as conn, conn.transaction():
            yield Connection(conn)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for reads, each statement its own transaction."""
        with self._pool.connection() as conn:
            yield Connection(conn)

    def close(self) -> None:
        self._pool.close()
