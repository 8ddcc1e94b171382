"""The progress store in PostgreSQL (the bot's ``database:`` as a URL): the same
tables, queries and migrations as the SQLite file (``progress.py``); the schema's
version is kept in a table, and two processes starting at once migrate once
(an advisory lock)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .errors import ProgressError, first_line
from .postgres import Connection, Postgres
from .progress import Progress

_MIGRATION_LOCK = 0x686E_7072  # "hnpr": the advisory lock key of this store's migrations


class PostgresProgress(Progress):
    def __init__(self, database: Postgres) -> None:
        self._db = database
        self.name = database.name
        self._prepare()

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self._db.transaction() as db:
                yield db
        except self._db.errors as exc:
            raise ProgressError(
                f"cannot use the progress database {self.name}: {first_line(exc)}",
                hint="is the PostgreSQL server up and reachable? `database:` in the bot's "
                "configuration names it",
            ) from exc

    @contextmanager
    def _migrating(self) -> Iterator[Connection]:
        with self._connect() as db:
            db.lock(_MIGRATION_LOCK)
            yield db

    def _create(self, db: Connection) -> None:
        db.lock(_MIGRATION_LOCK)  # CREATE … IF NOT EXISTS races with itself in PostgreSQL
        super()._create(db)
        db.execute("CREATE TABLE IF NOT EXISTS progress_meta (key TEXT PRIMARY KEY, value TEXT)")

    def _version(self, db: Connection) -> int:
        row = db.execute("SELECT value FROM progress_meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _set_version(self, db: Connection, version: int) -> None:
        db.execute(
            "INSERT INTO progress_meta (key, value) VALUES ('schema_version', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(version),),
        )

    def close(self) -> None:
        """(The pool is the caller's: the bot's store shares it.)"""
