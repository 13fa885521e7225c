"""Commits racing from two threads and two processes, and a process killed mid-commit, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import multiprocessing
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

import sources.store as store_module
from sources.contracts import METRICS
from sources.store import PURGES, ROW_TABLES, VERSIONS, StaleVersionError, Store, StoreError, open_store

ROOT = Path(__file__).resolve().parents[2]
JAN, FEB, MAR, APR, MAY = (date(2025, month, 1) for month in range(1, 6))
INITIAL_ROWS = [(JAN, "Atlas", "arr", 100.0, None, None), (FEB, "Atlas", "arr", 110.0, None, None)]
WON, STALE = "won", "stale"


def metrics(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """Metrics rows: (date, product_line, metric, value, segment, region)."""
    return pl.DataFrame(rows, schema=METRICS.schema, orient="row")


def commit_one_row(store: Store, day: date, based_on: int) -> int:
    """Append one Atlas row on ``day``; the first commit stores the initial rows as version 0."""
    return store.commit(
        "metrics",
        metrics([(day, "Atlas", "arr", float(day.month), None, None)]),
        mode="append",
        based_on=based_on,
        file_name=f"{day}.csv",
        sha256="ef" * 32,
        committed_by=f"user-{day.month}",
        initial=metrics(INITIAL_ROWS),
    )


def database_state(store: Store) -> tuple[int, str]:
    """Rows in every table of rows and a checksum of everything stored (versions and purges included)."""
    with store.engine.connect() as connection:
        contents = [
            sorted(repr(tuple(row)) for row in connection.execute(sa.select(table)))
            for table in [VERSIONS, PURGES, *ROW_TABLES.values()]
        ]
    return sum(len(rows) for rows in contents[2:]), hashlib.sha256(repr(contents).encode()).hexdigest()


def race_outcome(store: Store, day: date, based_on: int) -> str:
    try:
        commit_one_row(store, day, based_on)
    except StaleVersionError:
        return STALE
    return WON


def assert_one_won(outcomes: dict[date, str], store: Store, based_on: int) -> None:
    """Exactly one racer won; the store holds its row on top of version ``based_on`` and nothing else changed."""
    assert sorted(outcomes.values()) == [STALE, WON]
    winner = next(day for day, outcome in outcomes.items() if outcome == WON)
    assert store.current_version("metrics") == based_on + 1
    expected = [*INITIAL_ROWS, *([(MAR, "Atlas", "arr", 3.0, None, None)] if based_on else [])]
    assert_frame_equal(
        store.read("metrics"),
        metrics([*expected, (winner, "Atlas", "arr", float(winner.month), None, None)]),
        check_row_order=False,
    )
    assert store.versions("metrics").get_column("based_on").to_list()[-1] == based_on


@pytest.mark.parametrize("based_on", [0, 1], ids=["first commit", "later commit"])
def test_two_threads_commit_at_once_one_wins(store_url: str, tmp_path: Path, based_on: int) -> None:
    store = open_store(store_url, tmp_path / "columnar")
    try:
        if based_on:
            commit_one_row(store, MAR, 0)
        start = threading.Barrier(2)
        outcomes: dict[date, str] = {}

        def race(day: date) -> None:
            start.wait()
            outcomes[day] = race_outcome(store, day, based_on)

        threads = [threading.Thread(target=race, args=(day,)) for day in (APR, MAY)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert_one_won(outcomes, store, based_on)
    finally:
        store.close()


def _race_in_process(url: str, columnar: str, start: Any, results: Any, day: date, based_on: int) -> None:
    """A racer in its own process: its own store and connections, released together with the other one."""
    store = open_store(url, Path(columnar))
    try:
        start.wait()
        results.put((day, race_outcome(store, day, based_on)))
    except BaseException as error:
        results.put((day, f"failed: {error!r}"))
    finally:
        store.close()


@pytest.mark.parametrize("based_on", [0, 1], ids=["first commit", "later commit"])
def test_two_processes_commit_at_once_one_wins(store_url: str, tmp_path: Path, based_on: int) -> None:
    store = open_store(store_url, tmp_path / "columnar")
    try:
        if based_on:
            commit_one_row(store, MAR, 0)
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(2)
        results = context.Queue()
        processes = [
            context.Process(
                target=_race_in_process, args=(store_url, str(tmp_path / "columnar"), start, results, day, based_on)
            )
            for day in (APR, MAY)
        ]
        for process in processes:
            process.start()
        outcomes = dict(results.get(timeout=120) for _ in processes)
        for process in processes:
            process.join(timeout=60)
            assert process.exitcode == 0
        assert_one_won(outcomes, store, based_on)
    finally:
        store.close()


KILLED_MID_COMMIT = """
import os, signal, sys
from datetime import date
from pathlib import Path

import sources.store as store_module
from tests.sources.test_store_races import commit_one_row

def die(dataset, version):
    if sys.argv[3] == "exit":
        os._exit(9)
    os.kill(os.getpid(), signal.SIGKILL)

store_module._after_rows_written = die
store = store_module.open_store(sys.argv[1], Path(sys.argv[2]))
if sys.argv[4] == "commit":
    commit_one_row(store, date(2025, 5, 1), store.current_version("metrics"))
else:
    store.rollback("metrics", 0, based_on=store.current_version("metrics"), committed_by="erin")
"""


@pytest.mark.parametrize("operation", ["commit", "rollback"])
@pytest.mark.parametrize("death", ["exit", "kill"])
def test_a_process_killed_mid_commit_leaves_the_store_as_it_was(
    store_url: str, tmp_path: Path, death: str, operation: str
) -> None:
    columnar = tmp_path / "columnar"
    store = open_store(store_url, columnar)
    try:
        commit_one_row(store, MAR, 0)
        before = database_state(store)
        content = store.read("metrics")
        copies = sorted(path.name for path in columnar.iterdir())
        died = subprocess.run(
            [sys.executable, "-c", KILLED_MID_COMMIT, store_url, str(columnar), death, operation],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert died.returncode == (9 if death == "exit" else -9), died.stderr
        assert database_state(store) == before
        assert store.current_version("metrics") == 1
        assert_frame_equal(store.read("metrics"), content)
        assert sorted(path.name for path in columnar.iterdir()) == copies

        assert commit_one_row(store, APR, 1) == 2
        assert store.rollback("metrics", 0, based_on=2, committed_by="erin") == 3
        assert_frame_equal(store.read("metrics"), metrics(INITIAL_ROWS))
    finally:
        store.close()


def test_a_writer_that_waits_too_long_gets_a_clear_error_not_database_is_locked(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 200)
    store = open_store(sqlite_url, tmp_path / "columnar")
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="the store is busy") as caught:
            commit_one_row(store, MAR, 0)
        assert "database is locked" not in str(caught.value)
        blocker.execute("ROLLBACK")
        assert commit_one_row(store, MAR, 0) == 1
    finally:
        blocker.close()
        store.close()
