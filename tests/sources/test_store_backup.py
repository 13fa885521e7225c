"""Backups as the README documents them: SQLite's online backup and pg_dump/pg_restore, restored into empty stores."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.contracts import METRICS
from sources.store import Mode, Store, open_store
from tests.conftest import fresh_database

if TYPE_CHECKING:
    from pgserver.postgres_server import PostgresServer

JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)


def metrics(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    """Metrics rows: (date, product_line, metric, value, segment, region)."""
    return pl.DataFrame(rows, schema=METRICS.schema, orient="row")


def fill(store: Store) -> None:
    """Three versions: the files, an append, a replace; then a rollback to the append."""
    initial = metrics([(JAN, "Atlas", "arr", 100.0, None, None), (FEB, "Atlas", "nrr", 1.05, "SMB", "EMEA")])
    uploads: list[tuple[pl.DataFrame, Mode]] = [
        (metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append"),
        (metrics([(MAR, "Beacon", "arr", 7.0, None, "NA")]), "replace"),
    ]
    for based_on, (upload, mode) in enumerate(uploads):
        store.commit(
            "metrics",
            upload,
            mode=mode,
            based_on=based_on,
            file_name=f"upload-{based_on + 1}.csv",
            sha256="ab" * 32,
            committed_by="dana",
            initial=initial,
        )
    store.rollback("metrics", 1, based_on=2, committed_by="erin")


def assert_same_data(original: Store, restored: Store) -> None:
    assert_frame_equal(restored.versions("metrics"), original.versions("metrics"))
    for version in range(original.current_version("metrics") + 1):
        assert_frame_equal(restored.read("metrics", version), original.read("metrics", version))
    assert restored.current_version("metrics") == 3


def test_a_sqlite_backup_restores_into_an_empty_file(sqlite_url: str, tmp_path: Path) -> None:
    original = open_store(sqlite_url, tmp_path / "columnar")
    backup_file, restored_file = tmp_path / "backup.db", tmp_path / "restored" / "pillars.db"
    try:
        fill(original)
        # the online backup: consistent while the store is in use (sqlite3 pillars.db ".backup backup.db")
        with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as source, sqlite3.connect(backup_file) as backup:
            source.backup(backup)
        restored_file.parent.mkdir()
        with sqlite3.connect(backup_file) as backup, sqlite3.connect(restored_file) as empty:
            backup.backup(empty)
        restored = open_store(f"sqlite:///{restored_file}", tmp_path / "restored" / "columnar")
        try:
            assert_same_data(original, restored)
        finally:
            restored.close()
    finally:
        original.close()


def _postgres_bin() -> Path:
    import pgserver  # noqa: PLC0415 - only this test needs it

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


@pytest.fixture
def empty_postgresql_url(postgresql_server: PostgresServer) -> Iterator[str]:
    """A second empty database to restore into."""
    with fresh_database(postgresql_server, "restore") as url:
        yield url


def test_a_pg_dump_restores_into_an_empty_database(
    postgresql_url: str, empty_postgresql_url: str, tmp_path: Path
) -> None:
    binaries = _postgres_bin()
    if not (binaries / "pg_dump").exists() or not (binaries / "pg_restore").exists():
        pytest.skip(f"pg_dump and pg_restore are not in {binaries}")
    original = open_store(postgresql_url, tmp_path / "columnar")
    dump = tmp_path / "pillars.dump"
    try:
        fill(original)
        subprocess.run(
            [str(binaries / "pg_dump"), "-Fc", "-f", str(dump), "-d", postgresql_url],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [str(binaries / "pg_restore"), "--no-owner", "-d", empty_postgresql_url, str(dump)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        restored = open_store(empty_postgresql_url, tmp_path / "restored-columnar")
        try:
            assert_same_data(original, restored)
        finally:
            restored.close()
    finally:
        original.close()
