"""Rollback, diff and purge on a history of seven versions, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.contracts import METRICS
from sources.diff import diff_frames
from sources.store import Mode, StaleVersionError, Store, open_store

JAN, FEB, MAR, APR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)
ATLAS_JAN = (JAN, "Atlas", "arr", 100.0, None, None)
ATLAS_FEB = (FEB, "Atlas", "arr", 110.0, None, None)
ATLAS_FEB_FIXED = (FEB, "Atlas", "arr", 115.0, None, None)
ATLAS_MAR = (MAR, "Atlas", "arr", 120.0, None, None)
BEACON_APR = (APR, "Beacon", "arr", 7.0, "SMB", "EMEA")  # the upload that held personal data
CIRRUS_JAN = (JAN, "Cirrus", "arr", 1.0, None, None)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each engine, with its Parquet copies in the test's folder."""
    opened = open_store(store_url, tmp_path / "columnar")
    yield opened
    opened.close()


def metrics(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """Metrics rows: (date, product_line, metric, value, segment, region)."""
    return pl.DataFrame(rows, schema=METRICS.schema, orient="row")


def commit(store: Store, rows: Sequence[tuple[object, ...]], mode: Mode, based_on: int) -> int:
    return store.commit(
        "metrics",
        metrics(rows),
        mode=mode,
        based_on=based_on,
        file_name=f"v{based_on + 1}.csv",
        sha256="cd" * 32,
        committed_by="dana",
        initial=metrics([ATLAS_FEB, ATLAS_JAN]),
    )


def build_history(store: Store) -> None:
    """v0 files: Jan, Feb · v1 append Mar · v2 slice fixes Feb · v3 append Beacon · v4 replace by Cirrus."""
    assert commit(store, [ATLAS_MAR], "append", 0) == 1
    assert commit(store, [ATLAS_FEB_FIXED], "replace_slice", 1) == 2
    assert commit(store, [BEACON_APR], "append", 2) == 3
    assert commit(store, [CIRRUS_JAN], "replace", 3) == 4


Rows = list[tuple[object, ...]]
CONTENT: dict[int, Rows] = {
    0: [ATLAS_JAN, ATLAS_FEB],
    1: [ATLAS_JAN, ATLAS_FEB, ATLAS_MAR],
    2: [ATLAS_JAN, ATLAS_FEB_FIXED, ATLAS_MAR],
    3: [ATLAS_JAN, ATLAS_FEB_FIXED, ATLAS_MAR, BEACON_APR],
    4: [CIRRUS_JAN],
}


def test_rollback_makes_an_old_version_the_next_one(store: Store) -> None:
    build_history(store)
    assert store.rollback("metrics", 3, based_on=4, committed_by="erin") == 5
    assert store.rollback("metrics", 0, based_on=5, committed_by="erin") == 6

    expected: dict[int, Rows] = {**CONTENT, 5: CONTENT[3], 6: CONTENT[0]}
    for version, rows in expected.items():
        assert_frame_equal(store.read("metrics", version), metrics(rows), check_row_order=False)
    assert_frame_equal(store.read("metrics"), metrics([ATLAS_JAN, ATLAS_FEB]))
    path = store.columnar("metrics")
    assert path is not None
    assert path.name == "metrics-v6.parquet"
    assert_frame_equal(pl.read_parquet(path), metrics([ATLAS_JAN, ATLAS_FEB]))

    assert store.versions("metrics").select(
        "version", "mode", "file_name", "rows", "rows_added", "rows_removed", "committed_by", "based_on"
    ).rows()[4:] == [
        (4, "replace", "v4.csv", 1, 1, 4, "dana", 3),
        (5, "rollback", "rollback to v3", 4, 4, 1, "erin", 4),
        (6, "rollback", "rollback to v0", 2, 2, 4, "erin", 5),
    ]


def test_a_rollback_based_on_an_older_version_is_stale_and_writes_nothing(store: Store) -> None:
    build_history(store)
    with pytest.raises(StaleVersionError, match="metrics is at version 4 now, not 3"):
        store.rollback("metrics", 1, based_on=3, committed_by="erin")
    assert store.current_version("metrics") == 4
    with pytest.raises(ValueError, match="metrics has no version 9"):
        store.rollback("metrics", 9, based_on=4, committed_by="erin")
    assert_frame_equal(store.read("metrics"), metrics([CIRRUS_JAN]))


def test_diff_between_any_two_versions(store: Store) -> None:
    build_history(store)
    store.rollback("metrics", 3, based_on=4, committed_by="erin")
    key = METRICS.key

    fixed = diff_frames(store.read("metrics", 1), store.read("metrics", 2), key, value_column="value")
    assert fixed.added.height == 0
    assert fixed.removed.height == 0
    assert fixed.changed.rows() == [(FEB, "Atlas", "arr", None, None, "value", "110.0", "115.0")]
    assert fixed.largest_changes.select("old", "new", "change").rows() == [(110.0, 115.0, 5.0)]
    assert fixed.unchanged == 2

    replaced = diff_frames(store.read("metrics", 2), store.read("metrics", 4), key)
    assert_frame_equal(replaced.added, metrics([CIRRUS_JAN]))
    assert_frame_equal(replaced.removed, metrics([ATLAS_JAN, ATLAS_FEB_FIXED, ATLAS_MAR]))
    assert replaced.changed.height == 0

    rolled_back = diff_frames(store.read("metrics", 0), store.read("metrics", 5), key)
    assert_frame_equal(rolled_back.added, metrics([ATLAS_MAR, BEACON_APR]))
    assert rolled_back.removed.height == 0
    assert rolled_back.changed.select("column", "old", "new").rows() == [("value", "110.0", "115.0")]
    assert rolled_back.unchanged == 1

    assert diff_frames(store.read("metrics", 3), store.read("metrics", 5), key).is_empty


def test_purge_removes_a_versions_rows_everywhere_and_is_recorded(store: Store) -> None:
    build_history(store)
    store.rollback("metrics", 3, based_on=4, committed_by="erin")  # v5 holds Beacon's row again
    assert store.columnar("metrics") is not None
    store.purge("metrics", 3, purged_by="admin@example.com", reason="an account manager's notes: personal data")

    without_beacon: Rows = [ATLAS_JAN, ATLAS_FEB_FIXED, ATLAS_MAR]
    expected: dict[int, Rows] = {**CONTENT, 3: without_beacon, 5: without_beacon}
    for version, rows in expected.items():
        assert_frame_equal(store.read("metrics", version), metrics(rows), check_row_order=False)
    assert store.versions("metrics").select("version", "rows").rows() == [
        (0, 2),
        (1, 3),
        (2, 3),
        (3, 3),
        (4, 1),
        (5, 3),
    ]
    for copy in store.columnar_dir.glob("*.parquet"):
        assert pl.read_parquet(copy).filter(pl.col("product_line") == "Beacon").height == 0, copy.name
    path = store.columnar("metrics")
    assert path is not None
    assert_frame_equal(pl.read_parquet(path), metrics(without_beacon))

    purges = store.purges("metrics")
    assert purges.drop("purged_at").rows() == [(3, "admin@example.com", "an account manager's notes: personal data", 2)]
    assert purges.schema["purged_at"] == pl.Datetime("us", "UTC")

    # the next commit counts from the purged content
    assert commit(store, [CIRRUS_JAN], "append", 5) == 6
    assert store.versions("metrics").select("rows").row(6) == (4,)
    assert_frame_equal(store.read("metrics"), metrics([ATLAS_JAN, CIRRUS_JAN, ATLAS_FEB_FIXED, ATLAS_MAR]))


def test_purge_needs_a_reason_and_a_version(store: Store) -> None:
    build_history(store)
    with pytest.raises(ValueError, match="a purge needs a reason"):
        store.purge("metrics", 3, purged_by="admin", reason=" ")
    with pytest.raises(ValueError, match="metrics has no version 7"):
        store.purge("metrics", 7, purged_by="admin", reason="wrong file")
    assert store.purges("metrics").height == 0
    assert_frame_equal(store.read("metrics", 3), metrics(CONTENT[3]), check_row_order=False)


def test_a_copy_written_before_a_purge_is_never_read_after_it(store: Store, tmp_path: Path) -> None:
    build_history(store)
    copy = store.columnar_dir / "metrics-v3.parquet"
    assert pl.read_parquet(copy).filter(pl.col("product_line") == "Beacon").height == 1
    kept = tmp_path / "kept-v3.parquet"
    shutil.copy(copy, kept)
    store.purge("metrics", 3, purged_by="admin", reason="personal data")
    assert not copy.exists()

    # as if the purge had died before deleting the copy, or a rollback read it in between
    shutil.copy(kept, copy)
    assert store.rollback("metrics", 3, based_on=4, committed_by="erin") == 5
    assert_frame_equal(store.read("metrics"), metrics([ATLAS_JAN, ATLAS_FEB_FIXED, ATLAS_MAR]))
    path = store.columnar("metrics")
    assert path is not None
    assert_frame_equal(pl.read_parquet(path), metrics([ATLAS_JAN, ATLAS_FEB_FIXED, ATLAS_MAR]))
