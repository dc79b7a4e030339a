"""Where a class's answers live: SQLite by default, PostgreSQL when configured.

A class spread over several server processes (`make serve`) or machines is one class only
if its state is in a database they all reach, never in one process's memory. SQLite needs
nothing installed: a file in the data folder, in WAL mode so readers never wait for the
one writer. `LAYERSCOPE_DATABASE_URL=postgresql://…` names a PostgreSQL server instead,
for workers on several machines.

The SQL is written once, in the subset both speak (`ON CONFLICT … DO UPDATE`, `?`
placeholders that `Database.run` turns into psycopg's `%s`). The schema carries a version
and `MIGRATIONS` takes any earlier version to the newest, one step at a time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

DATA_DIR = Path(os.environ.get("LAYERSCOPE_DATA_DIR", Path(__file__).resolve().parent.parent / "data"))
BUSY_TIMEOUT_S = 5.0   # a writer waits this long for another process's write to finish

# MIGRATIONS[k] takes the schema from version k to k + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (   # 1: classes, their students and one answer per student per step
        """CREATE TABLE classes (
               code TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, lesson TEXT NOT NULL,
               step INTEGER NOT NULL, revealed INTEGER NOT NULL, closed INTEGER NOT NULL,
               created DOUBLE PRECISION NOT NULL, active DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE students (
               code TEXT NOT NULL, student TEXT NOT NULL, joined DOUBLE PRECISION NOT NULL,
               PRIMARY KEY (code, student))""",
        """CREATE TABLE answers (
               code TEXT NOT NULL, student TEXT NOT NULL, step INTEGER NOT NULL,
               text TEXT NOT NULL, value DOUBLE PRECISION, correct INTEGER,
               at DOUBLE PRECISION NOT NULL, PRIMARY KEY (code, student, step))""",
    ),
    (   # 2: failed code lookups, to limit guessing; the tally reads answers by step
        "CREATE TABLE failed_joins (student TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX failed_joins_at ON failed_joins (at)",
        "CREATE INDEX answers_step ON answers (code, step)",
    ),
)
VERSION = len(MIGRATIONS)


class DatabaseDown(RuntimeError):
    """The database cannot be reached: the lesson goes on without the class."""


class Database:
    """One database, SQLite or PostgreSQL, used through short transactions."""

    def __init__(self, url: str | None = None):
        self.url = url or os.environ.get("LAYERSCOPE_DATABASE_URL") or ""
        self.postgres = self.url.startswith(("postgresql://", "postgres://"))
        self._pool = None
        self._lock = threading.Lock()
        if not self.postgres:
            self.path = Path(self.url.removeprefix("sqlite:///")) if self.url else (
                DATA_DIR / "layerscope.sqlite3")

    @property
    def kind(self) -> str:
        return "postgresql" if self.postgres else "sqlite"

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator["Cursor"]:
        """A transaction that commits on leaving and rolls back on an exception. One
        that only reads (`write=False`) never waits for SQLite's write lock."""
        try:
            with (self._postgres() if self.postgres else self._sqlite(write)) as cursor:
                yield cursor
        except sqlite3.OperationalError as error:     # locked too long, unreadable, …
            raise DatabaseDown(str(error)) from error
        except Exception as error:
            if _is_postgres_down(error):
                raise DatabaseDown(str(error)) from error
            raise

    @contextmanager
    def _sqlite(self, write: bool) -> Iterator["Cursor"]:
        # A connection per transaction: sqlite3 connections belong to one thread, and
        # Streamlit runs every session's script on threads of its own; opening is cheap.
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseDown(f"cannot create {self.path.parent}: {error}") from error
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")   # WAL keeps every commit on a crash
            # A writer takes the write lock up front: two that read first and then both
            # try to write would deadlock, and one of them fail.
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            cursor = Cursor(conn.cursor(), postgres=False)
            try:
                yield cursor
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    @contextmanager
    def _postgres(self) -> Iterator["Cursor"]:
        with self._connections().connection() as conn:   # commits, or rolls back on error
            with conn.cursor() as raw:
                yield Cursor(raw, postgres=True)

    def _connections(self):
        with self._lock:
            if self._pool is None:
                from psycopg_pool import ConnectionPool
                self._pool = ConnectionPool(self.url, min_size=1, max_size=4, open=True,
                                            timeout=BUSY_TIMEOUT_S,
                                            kwargs={"connect_timeout": 3})
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def version(self) -> int:
        """The schema version the database is at (0 if it has no schema yet)."""
        with self.transaction() as cur:
            return _version(cur)

    def migrate(self, to: int = VERSION) -> int:
        """Bring the schema up to version `to`, one migration at a time; idempotent and
        safe to run from several processes at once (each step holds the write lock)."""
        with self.transaction() as cur:
            if self.postgres:     # one migrator at a time, across processes and machines
                cur.run("SELECT pg_advisory_xact_lock(7731)")
            cur.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = _version(cur)
            if current == 0 and not cur.run("SELECT version FROM schema_version").fetchall():
                cur.run("INSERT INTO schema_version (version) VALUES (0)")
            for step in range(current, to):
                for statement in MIGRATIONS[step]:
                    cur.run(statement)
                cur.run("UPDATE schema_version SET version = ?", (step + 1,))
            return max(current, to)


class Cursor:
    """A DB-API cursor that takes `?` placeholders on both databases."""

    def __init__(self, raw, postgres: bool):
        self.raw, self.postgres = raw, postgres

    def run(self, sql: str, params: Sequence = ()):
        self.raw.execute(sql.replace("?", "%s") if self.postgres else sql, tuple(params))
        return self.raw

    def one(self, sql: str, params: Sequence = ()):
        return self.run(sql, params).fetchone()

    def all(self, sql: str, params: Sequence = ()) -> list:
        return self.run(sql, params).fetchall()


def _version(cur: Cursor) -> int:
    exists = cur.one(
        "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_version'"
        if cur.postgres else
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    if not exists:
        return 0
    row = cur.one("SELECT version FROM schema_version")
    return int(row[0]) if row else 0


def _is_postgres_down(error: Exception) -> bool:
    try:
        import psycopg
        import psycopg_pool
    except ImportError:
        return False
    return isinstance(error, (psycopg.OperationalError, psycopg_pool.PoolTimeout))
