"""A class database of each kind: SQLite in a temporary folder, and a real PostgreSQL
server (Debian's `postgresql`, installed by `make test`) started once for the session."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from classroom.db import Database
from deploy.serve import free_port


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or (
        [shutil.which(name)] if shutil.which(name) else [])
    if not found:
        pytest.fail("PostgreSQL is not installed: `make test` installs Debian's postgresql")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; the Debian package brings a `postgres` user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="session")
def postgres_url():
    """The URL of a throwaway PostgreSQL server on a free loopback port."""
    root = Path(tempfile.mkdtemp(prefix="layerscope-pg-"))
    data, port = root / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-A", "trust",
                                 "-U", "layerscope", "--no-sync"]),
                   check=True, capture_output=True)
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={root}"
    subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-o", opts, "-w",
                                 "-l", str(root / "log"), "start"]),
                   check=True, capture_output=True, timeout=60)
    try:
        yield f"postgresql://layerscope@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-m", "immediate",
                                     "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


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
