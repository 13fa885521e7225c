"""The row-level diff: added, removed and changed rows by key, keyless rows as whole rows, largest value changes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.diff import diff_frames

METRIC_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "product_line": pl.String(),
    "metric": pl.String(),
    "value": pl.Float64(),
    "segment": pl.String(),
}
KEY = ("date", "product_line", "metric", "segment")
CHANGED_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "product_line": pl.String(),
    "metric": pl.String(),
    "segment": pl.String(),
    "column": pl.String(),
    "old": pl.String(),
    "new": pl.String(),
}
LARGEST_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "product_line": pl.String(),
    "metric": pl.String(),
    "segment": pl.String(),
    "old": pl.Float64(),
    "new": pl.Float64(),
    "change": pl.Float64(),
}
FEEDBACK_SCHEMA: dict[str, pl.DataType] = {"id": pl.String(), "text": pl.String(), "nps_score": pl.Int64()}

JAN, FEB = date(2025, 1, 1), date(2025, 2, 1)


def metrics(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=METRIC_SCHEMA, orient="row")


def feedback(rows: list[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FEEDBACK_SCHEMA, orient="row")


def test_added_removed_changed_and_unchanged_rows_by_key() -> None:
    old = metrics(
        [
            (JAN, "Atlas", "arr", 100.0, None),  # unchanged (a null segment matches a null segment)
            (JAN, "Atlas", "nrr", 105.0, None),  # value changes to 103
            (JAN, "Beacon", "arr", 50.0, "SMB"),  # removed
            (FEB, "Atlas", "arr", 110.0, "SMB"),  # its segment changes: a different key, so removed and added
        ]
    )
    new = metrics(
        [
            (FEB, "Atlas", "arr", 110.0, "Enterprise"),
            (JAN, "Atlas", "nrr", 103.0, None),
            (JAN, "Atlas", "arr", 100.0, None),
            (FEB, "Cirrus", "arr", 7.5, None),
        ]
    )
    diff = diff_frames(old, new, KEY, value_column="value")
    assert_frame_equal(
        diff.added,
        metrics([(FEB, "Atlas", "arr", 110.0, "Enterprise"), (FEB, "Cirrus", "arr", 7.5, None)]),
    )
    assert_frame_equal(
        diff.removed,
        metrics([(JAN, "Beacon", "arr", 50.0, "SMB"), (FEB, "Atlas", "arr", 110.0, "SMB")]),
    )
    assert_frame_equal(
        diff.changed,
        pl.DataFrame([(JAN, "Atlas", "nrr", None, "value", "105.0", "103.0")], schema=CHANGED_SCHEMA, orient="row"),
    )
    assert_frame_equal(
        diff.largest_changes,
        pl.DataFrame([(JAN, "Atlas", "nrr", None, 105.0, 103.0, -2.0)], schema=LARGEST_SCHEMA, orient="row"),
    )
    assert (diff.unchanged, diff.changed_rows, diff.is_empty) == (1, 1, False)


def test_one_row_per_changed_cell_in_column_order() -> None:
    schema: dict[str, pl.DataType] = {"team": pl.String(), "pm": pl.String(), "since": pl.Date(), "ok": pl.Boolean()}
    old = pl.DataFrame([("Core", "Dana", JAN, True), ("Growth", "Eli", None, False)], schema=schema, orient="row")
    new = pl.DataFrame([("Growth", None, FEB, False), ("Core", "Dana", JAN, False)], schema=schema, orient="row")
    diff = diff_frames(old, new, ["team"])
    expected = pl.DataFrame(
        [
            ("Core", "ok", "true", "false"),
            ("Growth", "pm", "Eli", None),
            ("Growth", "since", None, "2025-02-01"),
        ],
        schema={"team": pl.String(), "column": pl.String(), "old": pl.String(), "new": pl.String()},
        orient="row",
    )
    assert_frame_equal(diff.changed, expected)
    assert (diff.changed_rows, diff.unchanged, diff.added.height, diff.removed.height) == (2, 0, 0, 0)
    assert diff.largest_changes.columns == ["team", "old", "new", "change"]
    assert diff.largest_changes.height == 0


def test_rows_without_an_id_are_matched_as_whole_rows_counting_repeats() -> None:
    old = feedback(
        [
            ("F1", "slow", 3),
            ("F2", "fast", 9),
            (None, "pricing", None),
            (None, "pricing", None),
            (None, "bugs", 2),
        ]
    )
    new = feedback(
        [
            ("F2", "fast", 10),
            ("F3", "new", None),
            (None, "pricing", None),
            (None, "bugs", 5),
        ]
    )
    diff = diff_frames(old, new, ["id"], keyless_if_null=["id"])
    assert_frame_equal(diff.added, feedback([("F3", "new", None), (None, "bugs", 5)]))
    assert_frame_equal(diff.removed, feedback([("F1", "slow", 3), (None, "bugs", 2), (None, "pricing", None)]))
    assert_frame_equal(
        diff.changed,
        pl.DataFrame(
            [("F2", "nps_score", "9", "10")],
            schema={"id": pl.String(), "column": pl.String(), "old": pl.String(), "new": pl.String()},
            orient="row",
        ),
    )
    # one "pricing" row without an id is in both; F2 changed
    assert (diff.unchanged, diff.changed_rows) == (1, 1)


def test_without_a_key_every_row_is_added_or_removed() -> None:
    old = feedback([(None, "a", 1), (None, "b", 2)])
    new = feedback([(None, "b", 2), (None, "b", 2), (None, "c", 3)])
    diff = diff_frames(old, new, [])
    assert_frame_equal(diff.added, feedback([(None, "b", 2), (None, "c", 3)]))
    assert_frame_equal(diff.removed, feedback([(None, "a", 1)]))
    assert diff.changed.height == 0
    assert (diff.unchanged, diff.changed_rows) == (1, 0)


def test_empty_frames() -> None:
    empty = metrics([])
    one = metrics([(JAN, "Atlas", "arr", 1.0, None)])
    nothing = diff_frames(empty, empty, KEY, value_column="value")
    assert nothing.is_empty
    assert (nothing.added.height, nothing.removed.height, nothing.unchanged) == (0, 0, 0)
    assert nothing.changed.schema == pl.Schema(CHANGED_SCHEMA)
    assert nothing.largest_changes.schema == pl.Schema(LARGEST_SCHEMA)
    assert_frame_equal(diff_frames(empty, one, KEY).added, one)
    assert_frame_equal(diff_frames(one, empty, KEY).removed, one)
    assert diff_frames(one, one, KEY).is_empty


def test_largest_changes_biggest_first_ties_by_key_nulls_left_out() -> None:
    old = metrics(
        [
            (JAN, "Atlas", "arr", 100.0, None),
            (JAN, "Beacon", "arr", 100.0, None),
            (JAN, "Cirrus", "arr", 100.0, None),
            (JAN, "Drift", "arr", 100.0, None),
            (JAN, "Ember", "arr", 100.0, None),
        ]
    )
    new = metrics(
        [
            (JAN, "Atlas", "arr", 90.0, None),  # −10
            (JAN, "Beacon", "arr", 125.0, None),  # +25
            (JAN, "Cirrus", "arr", 110.0, None),  # +10, ties with Atlas: key order puts Atlas first
            (JAN, "Drift", "arr", 100.5, None),  # +0.5, beyond top=3
            (JAN, "Ember", "arr", None, None),  # to null: changed, but no size
        ]
    )
    diff = diff_frames(old, new, KEY, value_column="value", top=3)
    assert_frame_equal(
        diff.largest_changes,
        pl.DataFrame(
            [
                (JAN, "Beacon", "arr", None, 100.0, 125.0, 25.0),
                (JAN, "Atlas", "arr", None, 100.0, 90.0, -10.0),
                (JAN, "Cirrus", "arr", None, 100.0, 110.0, 10.0),
            ],
            schema=LARGEST_SCHEMA,
            orient="row",
        ),
    )
    assert diff.changed.filter(pl.col("product_line") == "Ember").row(0) == (
        JAN,
        "Ember",
        "arr",
        None,
        "value",
        "100.0",
        None,
    )
    assert diff.changed_rows == 5


def test_bad_inputs_are_refused() -> None:
    one = metrics([(JAN, "Atlas", "arr", 1.0, None)])
    twice = metrics([(JAN, "Atlas", "arr", 1.0, None), (JAN, "Atlas", "arr", 2.0, None)])
    with pytest.raises(ValueError, match="the new frame has a key twice"):
        diff_frames(one, twice, KEY)
    with pytest.raises(ValueError, match="differ in columns or types"):
        diff_frames(one, one.drop("segment"), ["date"])
    with pytest.raises(ValueError, match="no such columns: region"):
        diff_frames(one, one, ["region"])
    with pytest.raises(ValueError, match="'metric' is not a value column"):
        diff_frames(one, one, KEY, value_column="metric")
