"""Snapshots of the feedback sheet in the store, on SQLite and PostgreSQL: the last good read, not a version."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
from polars.testing import assert_frame_equal

from sources.contracts import FEEDBACK
from sources.parser import problem_frame
from sources.sheets import SheetRead
from sources.snapshots import load_snapshot, save_snapshot
from sources.store import Store


def feedback(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    columns = ("date", "product_line", "channel", "text", "id")
    partial = pl.DataFrame(rows, schema={name: FEEDBACK.schema[name] for name in columns}, orient="row")
    return partial.select(
        [
            pl.col(name) if name in columns else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in FEEDBACK.schema.items()
        ]
    )


def sheet_read(frame: pl.DataFrame, read_at: datetime, skipped: int = 0) -> SheetRead:
    problems = problem_frame([("sheet 'Feedback'", 4, "product_line", None, "required value is missing")] * skipped)
    return SheetRead("Feedback", "Responses", frame, problems, (), frame.height + skipped, skipped, read_at)


def test_nothing_saved_yet(store: Store) -> None:
    assert load_snapshot(store, "key", "Responses") is None


def test_the_last_good_read_comes_back_exactly(store: Store) -> None:
    first = feedback([(date(2026, 7, 30), "Atlas", "survey", 'Said "fine",\nthen left', "00123")])
    save_snapshot(store, "key", sheet_read(first, datetime(2026, 8, 1, 9, 30, tzinfo=UTC)))
    second = feedback(
        [
            (date(2026, 7, 30), "Atlas", "survey", "Love it", "00123"),
            (date(2026, 7, 31), "Beacon", "support", "Slow export", "00124"),
        ]
    )
    save_snapshot(store, "key", sheet_read(second, datetime(2026, 8, 1, 9, 40, tzinfo=UTC), skipped=1))

    snapshot = load_snapshot(store, "key", "Responses")

    assert snapshot is not None
    assert_frame_equal(snapshot.frame, second)
    assert (snapshot.title, snapshot.rows_read, snapshot.rows_skipped) == ("Feedback", 3, 1)
    assert snapshot.read_at == datetime(2026, 8, 1, 9, 40, tzinfo=UTC)
    assert snapshot.problems.select("row", "column").rows() == [(4, "product_line")]
    assert load_snapshot(store, "key", "Other tab") is None


def test_text_with_newlines_and_quotes_survives(store: Store) -> None:
    frame = feedback([(date(2026, 7, 30), "Atlas", "survey", 'Said "fine",\nthen left', "007")])
    save_snapshot(store, "key", sheet_read(frame, datetime(2026, 8, 1, tzinfo=UTC)))

    snapshot = load_snapshot(store, "key", "Responses")

    assert snapshot is not None
    assert snapshot.frame.get_column("text").to_list() == ['Said "fine",\nthen left']
    assert snapshot.frame.get_column("id").to_list() == ["007"]


def test_a_snapshot_is_not_a_version(store: Store) -> None:
    frame = feedback([(date(2026, 7, 30), "Atlas", "survey", "ok", "1")])
    save_snapshot(store, "key", sheet_read(frame, datetime(2026, 8, 1, tzinfo=UTC)))

    assert store.current_version("feedback") == 0
