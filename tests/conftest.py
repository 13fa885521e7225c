"""Shared fixtures: a store URL for each engine — SQLite in a temporary folder, and a real PostgreSQL (pgserver)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

STORE_ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole session, started from the pgserver wheel (about half a second).

    Its data lives in its own folder under /tmp, not under pytest's: as root, pgserver runs the server as a `pgserver`
    user and opens the folders above the data to it, and every pytest session that starts closes pytest's root folder
    again (mode 0700), which would cut a running server off from its files.
    """
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset when pgserver picks its lock folder; /tmp is fine here
        warnings.simplefilter("ignore")
        try:
            from pgserver.postgres_server import get_server  # noqa: PLC0415 - only the store tests need it
        except ImportError as error:  # pragma: no cover - pgserver is in the dev lock file
            pytest.skip(f"pgserver is not installed: {error}")
    folder = Path(tempfile.mkdtemp(prefix="pillars-postgres-"))
    server = get_server(folder / "data", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgresql_url(postgresql_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    with fresh_database(postgresql_server, "test") as url:
        yield url


@contextmanager
def fresh_database(postgresql_server: PostgresServer, prefix: str) -> Iterator[str]:
    """Create an empty database on the session's server, yield its URL, and drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgresql_server.get_uri(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        yield postgresql_server.get_uri(name)
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a SQLite store file in the test's own folder (created on first use)."""
    return f"sqlite:///{tmp_path / 'store' / 'pillars.db'}"


@pytest.fixture(params=STORE_ENGINES)
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh store URL, once per engine: tests that take it run on SQLite and on PostgreSQL."""
    return str(request.getfixturevalue(f"{request.param}_url"))
