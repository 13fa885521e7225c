"""The store on SQLite and on a real PostgreSQL: migrations, versions, the three modes, rejections, races and copies."""

from __future__ import annotations

import hashlib
import shutil
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from polars.testing import assert_frame_equal

import sources.store as store_module
from sources.contracts import CONTRACTS, FEEDBACK, METRIC_CATALOG, METRICS, PRACTICES, TARGETS
from sources.files import load_bundle
from sources.store import (
    MIGRATIONS_DIR,
    ROW_TABLES,
    VERSIONS,
    VERSIONS_SCHEMA,
    DuplicateKeyError,
    MigrationError,
    Mode,
    NotStored,
    StaleVersionError,
    Store,
    migrate,
    open_store,
)

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
JAN, FEB, MAR, APR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)


def metrics(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """Metrics rows: (date, product_line, metric, value, segment, region)."""
    return pl.DataFrame(rows, schema=METRICS.schema, orient="row")


def targets(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """Targets rows: (metric, period_start, period_end, target, product_line)."""
    return pl.DataFrame(rows, schema=TARGETS.schema, orient="row")


def feedback(rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    """Feedback rows: (date, product_line, channel, text, id); the optional columns after id are empty."""
    padded = [(*row, *([None] * (len(FEEDBACK.columns) - len(row)))) for row in rows]
    return pl.DataFrame(padded, schema=FEEDBACK.schema, orient="row")


def commit(
    store: Store,
    frame: pl.DataFrame,
    mode: Mode,
    based_on: int,
    *,
    dataset: str = "metrics",
    initial: pl.DataFrame | None = None,
    committed_by: str = "dana",
) -> int:
    return store.commit(
        dataset,
        frame,
        mode=mode,
        based_on=based_on,
        file_name=f"{dataset}-upload.csv",
        sha256="ab" * 32,
        committed_by=committed_by,
        initial=initial,
    )


def database_state(store: Store) -> tuple[int, str]:
    """Rows in every table of rows (removed ones too) and a checksum of everything stored, versions included."""
    with store.engine.connect() as connection:
        tables = [VERSIONS, *ROW_TABLES.values()]
        contents = [sorted(repr(tuple(row)) for row in connection.execute(sa.select(table))) for table in tables]
    return sum(len(rows) for rows in contents[1:]), hashlib.sha256(repr(contents).encode()).hexdigest()


INITIAL = metrics(
    [
        (FEB, "Atlas", "arr", 110.0, None, None),
        (JAN, "Atlas", "arr", 100.0, None, None),
        (JAN, "Atlas", "arr", 60.0, "SMB", "EMEA"),
    ]
)


# --- migrations ------------------------------------------------------------------------------------------------------


def test_migrations_are_applied_once(store_url: str, tmp_path: Path) -> None:
    open_store(store_url, tmp_path).close()
    again = open_store(store_url, tmp_path)
    try:
        assert migrate(again.engine) == []
        with again.engine.connect() as connection:
            applied = connection.execute(sa.text("SELECT version, name FROM schema_migrations")).all()
        assert sorted(tuple(row) for row in applied) == [
            (1, "store"),
            (2, "sheet_snapshots"),
            (3, "purges"),
            (4, "audit_log"),
        ]
    finally:
        again.close()


def test_a_new_migration_is_applied_and_edited_or_unknown_ones_are_refused(store: Store, tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    (migrations / "0099_version_note.sql").write_text(
        "-- a note per version\nALTER TABLE versions ADD COLUMN note TEXT;\n"
    )
    assert migrate(store.engine, migrations) == [99]
    assert migrate(store.engine, migrations) == []
    assert "note" in [column["name"] for column in sa.inspect(store.engine).get_columns("versions")]

    edited = migrations / "0001_store.sql"
    edited.write_text(edited.read_text() + "\n-- edited\n")
    with pytest.raises(MigrationError, match="0001_store changed after it was applied"):
        migrate(store.engine, migrations)
    with pytest.raises(MigrationError, match=r"migrations this code does not know: \[99\]"):
        migrate(store.engine, MIGRATIONS_DIR)


def test_the_tables_follow_the_contracts(store: Store) -> None:
    inspector = sa.inspect(store.engine)
    for name, contract in CONTRACTS.items():
        columns = inspector.get_columns(f"rows_{name}")
        assert [(column["name"], column["nullable"]) for column in columns] == [
            *((column.name, not column.required) for column in contract.columns),
            ("added_in", False),
            ("removed_in", True),
        ], name
    assert [column["name"] for column in inspector.get_columns("versions")] == ["dataset", *VERSIONS_SCHEMA]


# --- versions --------------------------------------------------------------------------------------------------------


def test_nothing_stored_yet(store: Store) -> None:
    assert store.current_version("metrics") == 0
    with pytest.raises(NotStored, match="metrics is not in the store yet"):
        store.read("metrics")
    with pytest.raises(NotStored):
        store.read("metrics", 0)
    assert store.versions("metrics").schema == pl.Schema(VERSIONS_SCHEMA)
    assert store.versions("metrics").height == 0
    assert store.columnar("metrics") is None
    with pytest.raises(KeyError, match="unknown dataset 'sales'"):
        store.current_version("sales")


def test_first_commit_stores_version_0_then_version_1(store: Store) -> None:
    before = datetime.now(UTC)
    upload = metrics([(MAR, "Beacon", "arr", 5.5, None, None)])
    assert commit(store, upload, "replace", 0, initial=INITIAL, committed_by="dana@example.com") == 1
    after = datetime.now(UTC)

    assert store.current_version("metrics") == 1
    assert_frame_equal(
        store.read("metrics", 0),
        metrics(
            [
                (JAN, "Atlas", "arr", 60.0, "SMB", "EMEA"),
                (JAN, "Atlas", "arr", 100.0, None, None),
                (FEB, "Atlas", "arr", 110.0, None, None),
            ]
        ),
    )
    assert_frame_equal(store.read("metrics"), upload)
    assert_frame_equal(store.read("metrics", 1), upload)

    versions = store.versions("metrics")
    assert versions.drop("committed_at").rows() == [
        (0, "initial", None, None, 3, 3, 0, "dana@example.com", None),
        (1, "replace", "metrics-upload.csv", "ab" * 32, 1, 1, 3, "dana@example.com", 0),
    ]
    stamps = versions.get_column("committed_at").to_list()
    assert all(before <= stamp <= after for stamp in stamps)
    assert versions.schema["committed_at"] == pl.Datetime("us", "UTC")


def test_the_first_commit_needs_version_0(store: Store) -> None:
    with pytest.raises(ValueError, match="the first commit to metrics needs version 0's rows"):
        commit(store, INITIAL, "append", 0)
    assert store.current_version("metrics") == 0
    assert database_state(store)[0] == 0


def test_append_adds_rows(store: Store) -> None:
    upload = metrics([(MAR, "Atlas", "arr", 120.0, None, None), (JAN, "Beacon", "arr", 7.0, None, "NA")])
    assert commit(store, upload, "append", 0, initial=INITIAL) == 1
    assert_frame_equal(
        store.read("metrics"),
        metrics(
            [
                (JAN, "Atlas", "arr", 60.0, "SMB", "EMEA"),
                (JAN, "Atlas", "arr", 100.0, None, None),
                (JAN, "Beacon", "arr", 7.0, None, "NA"),
                (FEB, "Atlas", "arr", 110.0, None, None),
                (MAR, "Atlas", "arr", 120.0, None, None),
            ]
        ),
    )
    assert store.versions("metrics").select("rows", "rows_added", "rows_removed").row(1) == (5, 2, 0)


def test_replace_slice_replaces_the_files_dates_and_product_lines_only(store: Store) -> None:
    initial = metrics(
        [
            (JAN, "Atlas", "arr", 1.0, None, None),
            (FEB, "Atlas", "arr", 2.0, None, None),
            (MAR, "Atlas", "nrr", 3.0, None, None),
            (APR, "Atlas", "arr", 4.0, None, None),
            (FEB, "Beacon", "arr", 5.0, "SMB", None),
            (FEB, "Cirrus", "arr", 6.0, None, None),
        ]
    )
    # the file covers February to March for Atlas and Beacon
    upload = metrics([(FEB, "Atlas", "arr", 20.0, None, None), (MAR, "Beacon", "arr", 30.0, None, None)])
    assert commit(store, upload, "replace_slice", 0, initial=initial) == 1
    assert_frame_equal(
        store.read("metrics"),
        metrics(
            [
                (JAN, "Atlas", "arr", 1.0, None, None),
                (FEB, "Atlas", "arr", 20.0, None, None),
                (FEB, "Cirrus", "arr", 6.0, None, None),
                (MAR, "Beacon", "arr", 30.0, None, None),
                (APR, "Atlas", "arr", 4.0, None, None),
            ]
        ),
    )
    assert store.versions("metrics").select("rows", "rows_added", "rows_removed").row(1) == (5, 2, 3)


def test_replace_slice_replaces_company_wide_rows_only_when_the_file_has_some(store: Store) -> None:
    q1, q1_end, q2, q2_end = JAN, date(2025, 3, 31), APR, date(2025, 6, 30)
    initial = targets(
        [
            ("arr", q1, q1_end, 100.0, None),
            ("arr", q1, q1_end, 40.0, "Atlas"),
            ("arr", q2, q2_end, 120.0, None),
        ]
    )
    upload = targets([("arr", q1, q1_end, 105.0, None)])
    assert commit(store, upload, "replace_slice", 0, dataset="targets", initial=initial) == 1
    assert_frame_equal(
        store.read("targets"),
        targets(
            [
                ("arr", q1, q1_end, 40.0, "Atlas"),
                ("arr", q1, q1_end, 105.0, None),
                ("arr", q2, q2_end, 120.0, None),
            ]
        ),
    )
    upload = targets([("arr", q2, q2_end, 50.0, "Atlas")])
    assert commit(store, upload, "replace_slice", 1, dataset="targets") == 2
    assert store.read("targets").get_column("target").to_list() == [40.0, 50.0, 105.0, 120.0]


def test_replace_slice_needs_dates_or_product_lines(store: Store) -> None:
    practices = pl.DataFrame([("QBR", 91, None, None)], schema=PRACTICES.schema, orient="row")
    with pytest.raises(ValueError, match="practices has neither dates nor product lines"):
        commit(store, practices, "replace_slice", 0, dataset="practices", initial=practices)
    assert store.current_version("practices") == 0


def test_read_back_any_version(store: Store) -> None:
    commit(store, metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append", 0, initial=INITIAL)
    commit(store, metrics([(JAN, "Atlas", "arr", 99.0, None, None)]), "replace_slice", 1)
    commit(store, metrics([(APR, "Beacon", "arr", 1.0, None, None)]), "replace", 2)
    expected: dict[int, list[tuple[object, ...]]] = {
        0: [
            (JAN, "Atlas", "arr", 60.0, "SMB", "EMEA"),
            (JAN, "Atlas", "arr", 100.0, None, None),
            (FEB, "Atlas", "arr", 110.0, None, None),
        ],
        1: [
            (JAN, "Atlas", "arr", 60.0, "SMB", "EMEA"),
            (JAN, "Atlas", "arr", 100.0, None, None),
            (FEB, "Atlas", "arr", 110.0, None, None),
            (MAR, "Atlas", "arr", 120.0, None, None),
        ],
        2: [
            (JAN, "Atlas", "arr", 99.0, None, None),
            (FEB, "Atlas", "arr", 110.0, None, None),
            (MAR, "Atlas", "arr", 120.0, None, None),
        ],
        3: [(APR, "Beacon", "arr", 1.0, None, None)],
    }
    for version, rows in expected.items():
        assert_frame_equal(store.read("metrics", version), metrics(rows))
    assert store.versions("metrics").select("version", "mode", "rows", "rows_added", "rows_removed").rows() == [
        (0, "initial", 3, 3, 0),
        (1, "append", 4, 1, 0),
        (2, "replace_slice", 3, 1, 2),
        (3, "replace", 1, 1, 3),
    ]
    with pytest.raises(ValueError, match="metrics has no version 4; its versions are 0 to 3"):
        store.read("metrics", 4)
    with pytest.raises(ValueError, match="no version -1"):
        store.read("metrics", -1)


def test_every_value_reads_back_exactly(store: Store) -> None:
    tricky = [
        "",
        "a, b",
        'say "hi"',
        "two\nlines",
        "\\.",
        "\\N",
        "NA",
        "None",
        " padded ",
        "Zürich ✓ 東京",
        "=SUM(A1)",
        "00123",
    ]
    rows = [
        (date(1900 + index, 1 + index % 12, 28), f"line {index}", text, f"chat{index}", f"F{index}")
        for index, text in enumerate(tricky, start=1)
    ]
    frame = feedback(rows).with_columns(
        pl.Series("account", ["x"] * len(rows), dtype=pl.String()),
        pl.Series(
            "account_arr",
            [0.1 + 0.2, 1e-300, 1e300, 123456789.125, 0.0, None, 2.5, 3.0, 1 / 3, 7.0, None, 1e-7],
            dtype=pl.Float64(),
        ),
        pl.Series("nps_score", [0, 10, None, 2**62, -1, 5, 6, 7, 8, 9, 1, 2], dtype=pl.Int64()),
    )
    assert commit(store, frame, "replace", 0, dataset="feedback", initial=FEEDBACK.empty()) == 1
    assert_frame_equal(store.read("feedback"), frame.sort("id"))
    catalog = pl.DataFrame(
        [
            ("arr", "ARR", "currency", "last", True, None, None, None, None, None, 0.0, None, 1, "revenue"),
            ("churn", "Churn", "percent", "mean", False, "business", "", "", "", "", -1.5, 100.0, None, None),
        ],
        schema=METRIC_CATALOG.schema,
        orient="row",
    )
    commit(store, catalog, "replace", 0, dataset="metric_catalog", initial=METRIC_CATALOG.empty())
    assert_frame_equal(store.read("metric_catalog"), catalog)
    assert_frame_equal(pl.read_parquet(store.columnar("metric_catalog") or Path()), catalog)


def test_the_sample_data_round_trips(store: Store) -> None:
    bundle = load_bundle(SAMPLE)
    for name, contract in CONTRACTS.items():
        frame = bundle.frame(name)
        commit(store, frame.head(0), "append", 0, dataset=name, initial=frame)
        order = [*contract.key, *(column for column in contract.schema if column not in contract.key)]
        expected = frame.sort(order, nulls_last=True)
        assert_frame_equal(store.read(name, 0), expected)
        assert_frame_equal(store.read(name), expected)
    assert store.read("metrics").height == 5630


# --- rejections and failures -----------------------------------------------------------------------------------------


def test_a_key_already_present_rejects_the_append_and_nothing_is_written(store: Store) -> None:
    commit(store, metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append", 0, initial=INITIAL)
    before = database_state(store)
    upload = metrics(
        [
            (APR, "Atlas", "arr", 1.0, None, None),
            (JAN, "Atlas", "arr", 60.5, "SMB", "EMEA"),  # taken
            (JAN, "Atlas", "arr", 101.0, None, None),  # taken, with null segment and region
            (JAN, "Atlas", "arr", 1.0, "SMB", None),  # free: differs in region
        ]
    )
    with pytest.raises(DuplicateKeyError, match="metrics: 2 keys of the file already in rows that stay") as caught:
        commit(store, upload, "append", 1)
    assert_frame_equal(
        caught.value.keys,
        metrics([(JAN, "Atlas", "arr", 0.0, "SMB", "EMEA"), (JAN, "Atlas", "arr", 0.0, None, None)]).drop("value"),
    )
    assert database_state(store) == before
    assert store.current_version("metrics") == 1
    assert store.read("metrics").height == 4


def test_a_rejected_first_commit_stores_nothing_not_even_version_0(store: Store) -> None:
    with pytest.raises(DuplicateKeyError, match="1 key of the file already in rows that stay"):
        commit(store, metrics([(FEB, "Atlas", "arr", 1.0, None, None)]), "append", 0, initial=INITIAL)
    assert store.current_version("metrics") == 0
    assert database_state(store)[0] == 0


def test_a_slice_upload_may_not_take_a_key_outside_its_slice(store: Store) -> None:
    adoption = pl.DataFrame(
        [(JAN, "Core", "Atlas", "QBR", None, None, None)], schema=CONTRACTS["adoption"].schema, orient="row"
    )
    # the same team, day and practice, filed under another product line: outside the slice, so the key is taken
    moved = adoption.with_columns(pl.lit("Beacon").alias("product_line"))
    with pytest.raises(DuplicateKeyError, match="adoption: 1 key of the file already in rows that stay"):
        commit(store, moved, "replace_slice", 0, dataset="adoption", initial=adoption)
    assert store.current_version("adoption") == 0


def test_keys_repeated_in_the_file_and_frames_off_contract_are_refused(store: Store) -> None:
    twice = metrics([(JAN, "Atlas", "arr", 1.0, None, None), (JAN, "Atlas", "arr", 2.0, None, None)])
    with pytest.raises(DuplicateKeyError, match="metrics: 1 key more than once in the file: date=2025-01-01"):
        commit(store, twice, "replace", 0, initial=INITIAL)
    with pytest.raises(ValueError, match="does not match the metrics contract"):
        commit(store, INITIAL.drop("region"), "replace", 0, initial=INITIAL)
    with pytest.raises(ValueError, match="empty values in required columns of metrics: value"):
        commit(
            store, INITIAL.with_columns(pl.lit(None, dtype=pl.Float64()).alias("value")), "replace", 0, initial=INITIAL
        )
    with pytest.raises(ValueError, match="unknown mode 'upsert'"):
        commit(store, INITIAL, "upsert", 0, initial=INITIAL)  # type: ignore[arg-type]
    assert database_state(store)[0] == 0


def test_feedback_without_ids_has_no_key(store: Store) -> None:
    initial = feedback([(JAN, "Atlas", "survey", "too slow", None), (JAN, "Atlas", "survey", "great", "F1")])
    again = feedback([(JAN, "Atlas", "survey", "too slow", None)])
    assert commit(store, again, "append", 0, dataset="feedback", initial=initial) == 1
    assert store.read("feedback").get_column("text").to_list() == ["great", "too slow", "too slow"]
    with pytest.raises(
        DuplicateKeyError, match=r"feedback: 1 key of the file already in rows that stay \(nothing was written\): id=F1"
    ):
        commit(store, feedback([(FEB, "Beacon", "sales", "other", "F1")]), "append", 1, dataset="feedback")


@pytest.mark.parametrize("first", [True, False], ids=["first commit", "later commit"])
def test_a_failure_mid_commit_leaves_the_store_as_it_was(
    store: Store, monkeypatch: pytest.MonkeyPatch, first: bool
) -> None:
    if not first:
        commit(store, metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append", 0, initial=INITIAL)
    based_on = 0 if first else 1
    before = database_state(store)
    content = None if first else store.read("metrics")

    def fail(dataset: str, version: int) -> None:
        raise RuntimeError(f"disk full while committing {dataset} v{version}")

    monkeypatch.setattr(store_module, "_after_rows_written", fail)
    upload = metrics([(APR, "Beacon", "arr", 3.0, None, None)])
    with pytest.raises(RuntimeError, match=f"disk full while committing metrics v{based_on + 1}"):
        commit(store, upload, "replace", based_on, initial=INITIAL)
    assert database_state(store) == before
    assert store.current_version("metrics") == based_on
    if content is not None:
        assert_frame_equal(store.read("metrics"), content)
    assert not (store.columnar_dir / f"metrics-v{based_on + 1}.parquet").exists()

    monkeypatch.undo()
    assert commit(store, upload, "replace", based_on, initial=INITIAL) == based_on + 1
    assert_frame_equal(store.read("metrics"), upload)


def test_a_commit_based_on_an_older_version_is_stale(store: Store) -> None:
    commit(store, metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append", 0, initial=INITIAL)
    before = database_state(store)
    with pytest.raises(StaleVersionError, match="metrics is at version 1 now, not 0") as caught:
        commit(store, metrics([(APR, "Atlas", "arr", 1.0, None, None)]), "append", 0, initial=INITIAL)
    assert (caught.value.current, caught.value.based_on) == (1, 0)
    assert database_state(store) == before


def test_two_commits_on_the_same_version_at_once_one_wins(store_url: str, tmp_path: Path) -> None:
    first = open_store(store_url, tmp_path / "columnar")
    second = open_store(store_url, tmp_path / "columnar")
    try:
        commit(first, metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append", 0, initial=INITIAL)
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def upload(store: Store, day: date) -> None:
            start.wait()
            try:
                commit(store, metrics([(day, "Atlas", "arr", 1.0, None, None)]), "append", 1)
                outcomes.append("committed")
            except StaleVersionError as error:
                outcomes.append(f"stale at {error.current}")

        threads = [
            threading.Thread(target=upload, args=(first, APR)),
            threading.Thread(target=upload, args=(second, date(2025, 5, 1))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["committed", "stale at 2"]
        assert first.current_version("metrics") == 2
        assert first.read("metrics").height == 5
    finally:
        first.close()
        second.close()


# --- previews --------------------------------------------------------------------------------------------------------


def test_preview_of_an_append_lists_taken_keys_and_their_changes(store: Store) -> None:
    upload = metrics([(JAN, "Atlas", "arr", 105.0, None, None), (MAR, "Atlas", "arr", 120.0, None, None)])
    with pytest.raises(NotStored):
        store.preview("metrics", upload, "append")
    preview = store.preview("metrics", upload, "append", initial=INITIAL)
    assert (preview.based_on, preview.rows_before, preview.rows_after, preview.accepted) == (0, 3, 5, False)
    assert_frame_equal(preview.conflicts, metrics([(JAN, "Atlas", "arr", 0.0, None, None)]).drop("value"))
    assert_frame_equal(preview.diff.added, metrics([(MAR, "Atlas", "arr", 120.0, None, None)]))
    assert preview.diff.removed.height == 0
    assert preview.diff.changed.drop("date", "product_line", "metric").rows() == [
        (None, None, "value", "100.0", "105.0")
    ]
    assert preview.diff.largest_changes.select("old", "new", "change").rows() == [(100.0, 105.0, 5.0)]


def test_preview_of_a_slice_matches_the_commit(store: Store) -> None:
    commit(store, metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append", 0, initial=INITIAL)
    upload = metrics([(FEB, "Atlas", "arr", 111.0, None, None), (FEB, "Atlas", "nrr", 1.0, None, None)])
    preview = store.preview("metrics", upload, "replace_slice")
    assert (preview.based_on, preview.rows_before, preview.rows_after, preview.accepted) == (1, 4, 5, True)
    assert_frame_equal(preview.diff.added, metrics([(FEB, "Atlas", "nrr", 1.0, None, None)]))
    assert preview.diff.removed.height == 0
    assert preview.diff.changed.select("column", "old", "new").rows() == [("value", "110.0", "111.0")]
    assert preview.diff.unchanged == 0
    assert commit(store, upload, "replace_slice", preview.based_on) == 2
    assert store.versions("metrics").get_column("rows").to_list()[-1] == preview.rows_after


def test_preview_of_a_replace(store: Store) -> None:
    commit(store, INITIAL.head(0), "append", 0, initial=INITIAL)
    upload = metrics([(JAN, "Atlas", "arr", 100.0, None, None)])
    preview = store.preview("metrics", upload, "replace")
    assert (preview.rows_before, preview.rows_after, preview.diff.unchanged, preview.diff.added.height) == (3, 1, 1, 0)
    assert_frame_equal(
        preview.diff.removed,
        metrics([(JAN, "Atlas", "arr", 60.0, "SMB", "EMEA"), (FEB, "Atlas", "arr", 110.0, None, None)]),
    )


# --- Parquet copies --------------------------------------------------------------------------------------------------


def test_the_columnar_copy_equals_the_current_version(store: Store, tmp_path: Path) -> None:
    steps: list[tuple[pl.DataFrame, Mode]] = [
        (metrics([(MAR, "Atlas", "arr", 120.0, None, None)]), "append"),
        (metrics([(JAN, "Atlas", "arr", 99.0, None, None)]), "replace_slice"),
        (metrics([(APR, "Beacon", "arr", 1.0, "SMB", None)]), "replace"),
    ]
    for based_on, (frame, mode) in enumerate(steps):
        version = commit(store, frame, mode, based_on, initial=INITIAL)
        assert store.columnar("metrics") == tmp_path / "columnar" / f"metrics-v{version}.parquet"
        assert_frame_equal(
            pl.read_parquet(tmp_path / "columnar" / f"metrics-v{version}.parquet"), store.read("metrics")
        )

    path = tmp_path / "columnar" / "metrics-v3.parquet"
    path.unlink()
    assert store.columnar("metrics") == path
    assert_frame_equal(pl.read_parquet(path), metrics([(APR, "Beacon", "arr", 1.0, "SMB", None)]))

    # a copy left by another store (e.g. one recreated with the same folder) is not trusted
    INITIAL.write_parquet(path)
    assert store.columnar("metrics") == path
    assert_frame_equal(pl.read_parquet(path), metrics([(APR, "Beacon", "arr", 1.0, "SMB", None)]))
    assert [entry.name for entry in path.parent.iterdir() if entry.suffix == ".tmp"] == []


def test_open_store_refuses_other_databases(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="runs on SQLite"):
        open_store("mysql://localhost/pillars")
    with pytest.raises(ValueError, match="needs a file path"):
        open_store("sqlite://")
    with pytest.raises(ValueError, match="uses psycopg 3"):
        open_store("postgresql+psycopg2://localhost/pillars")


def test_the_sqlite_store_makes_its_folder_and_copies_beside_it(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'pillars.db'}")
    try:
        assert store.columnar_dir == tmp_path / "data" / "columnar"
        commit(store, INITIAL, "replace", 0, initial=INITIAL)
        assert store.columnar("metrics") == tmp_path / "data" / "columnar" / "metrics-v1.parquet"
        with store.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()


def test_a_copy_that_cannot_be_written_does_not_undo_the_commit(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_space(frame: pl.DataFrame, path: Path, token: str) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(store_module, "_write_parquet", no_space)
        assert commit(store, INITIAL, "replace", 0, initial=INITIAL) == 1
    assert "could not write the Parquet copy of metrics version 1" in caplog.text
    assert not (store.columnar_dir / "metrics-v1.parquet").exists()
    assert store.current_version("metrics") == 1
    path = store.columnar("metrics")
    assert path == store.columnar_dir / "metrics-v1.parquet"
    assert_frame_equal(pl.read_parquet(path), store.read("metrics"))
