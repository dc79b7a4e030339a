"""A class database of each kind: SQLite in a temporary folder, and a real PostgreSQL
server (Debian's `postgresql`, installed by `make test`) started once for the session."""

from __future__ import annotations

import pytest

from bench.classpoll import Postgres
from classroom.db import Database


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of a throwaway PostgreSQL server on a free loopback port."""
    try:
        server = Postgres()
        server.__enter__()
    except RuntimeError as error:            # not installed: say how to get it
        pytest.fail(str(error))
    try:
        yield server.url
    finally:
        server.__exit__(None, None, None)


def _fresh_postgres(url: str) -> Database:
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return Database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """An empty database of each kind, migrated to the newest schema."""
    db = (Database(f"sqlite:///{tmp_path / 'class.sqlite3'}") if request.param == "sqlite"
          else _fresh_postgres(request.getfixturevalue("postgres_url")))
    db.migrate()
    yield db
    db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A database of each kind with no schema at all."""
    db = (Database(f"sqlite:///{tmp_path / 'class.sqlite3'}") if request.param == "sqlite"
          else _fresh_postgres(request.getfixturevalue("postgres_url")))
    yield db
    db.close()
