"""What every part of the bot's store shares: the database it opens (a SQLite file
or a PostgreSQL URL, see ``db.py``), the replica it moves sessions for, and the
one way sessions are read."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from pathlib import Path
from typing import Any

from hostnet.engine.postgres import Postgres, is_postgres_url

from .db import Backend, SqliteBackend
from .db_pg import PostgresBackend
from .replicas import Replica
from .state import Session

COLUMNS = ", ".join(f.name for f in fields(Session))
OPEN_SQL = "status IN ('queued', 'active')"


def open_backend(where: Path | str | Postgres | Backend) -> Backend:
    """A file path: SQLite. A ``postgresql://`` URL, or a pool already open: PostgreSQL."""
    if isinstance(where, Backend):
        return where
    if isinstance(where, Postgres):
        return PostgresBackend(where)
    if is_postgres_url(where):
        return PostgresBackend(Postgres(str(where)), owned=True)
    return SqliteBackend(Path(where))


class StoreBase:
    def __init__(
        self, where: Path | str | Postgres | Backend, *, replica: Replica | None = None
    ) -> None:
        self.backend = open_backend(where)
        self.backend.prepare()
        self.replica = replica or Replica.this_process()

    @property
    def name(self) -> str:
        """The database, as messages name it (no password)."""
        return self.backend.name

    @property
    def for_update(self) -> str:
        return self.backend.for_update

    def _read(self) -> AbstractContextManager[Any]:
        return self.backend.read()

    def _write(self) -> AbstractContextManager[Any]:
        return self.backend.write()

    def _sessions(self, where: str, params: Sequence[Any] = ()) -> list[Session]:
        with self._read() as db:
            rows = db.execute(
                f"SELECT {COLUMNS} FROM bot_sessions WHERE {where} ORDER BY id", params
            ).fetchall()
        return [Session(*row) for row in rows]

    def close(self) -> None:
        """Close this thread's SQLite connection, or the PostgreSQL pool the store opened."""
        self.backend.close()
