"""The upload flow on the Data page with AppTest: a bad file's problems, the fixed file's preview, the commit, and the
Overview showing the new numbers (recomputed here from the uploaded file with the standard library)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable

import polars as pl
from streamlit.testing.v1 import AppTest

from sources.files import load_bundle
from sources.store import open_store
from sources.upload_flow import check_upload, commit_upload
from tests.app.conftest import ROOT, SAMPLE, read_rows

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOVEMBER_ARR = {
    "Atlas": 27_900_000,
    "Beacon": 23_800_000,
    "Cirrus": 14_700_000,
    "Drift": 19_600_000,
    "Ember": 6_100_000,
}


def metrics_file(rows: list[tuple[str, str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "product_line", "metric", "value"])
    writer.writerows(rows)
    return out.getvalue().encode()


def current_metrics() -> pl.DataFrame:
    """The sample metrics as the app reads them: version 0 of the dataset."""
    return load_bundle(SAMPLE).frame("metrics")


def at_catalog() -> pl.DataFrame:
    """The sample metric catalog, which the colleague's upload is checked against."""
    return load_bundle(SAMPLE).frame("metric_catalog")


def dataframe_rows(at: AppTest, index: int = 0) -> list[dict[str, object]]:
    return list(at.dataframe[index].value.to_dict(orient="records"))


def test_bad_file_then_fixed_file_then_commit_then_the_overview_shows_it(app: Callable[..., AppTest]) -> None:
    at = app(page="data")
    assert not at.exception
    assert at.selectbox(key="upload_dataset").value == "metrics"

    bad = metrics_file(
        [
            ("2026-11-01", "Atlas", "arr", "27900000"),
            ("2026-11-31", "Beacon", "arr", "23800000"),
            ("2026-11-01", "Cirrus", "arrr", "14700000"),
            ("2026-11-01", "Drift", "arr", "lots"),
        ]
    )
    at.file_uploader(key="upload_file_metrics").upload("november.csv", bad, "text/csv").run()
    assert not at.exception
    assert any("november.csv was not committed: 3 problems" in error.value for error in at.error)
    problems = [(row["row"], row["column"], row["value"], row["problem"]) for row in dataframe_rows(at)]
    assert problems == [
        (3, "date", "2026-11-31", "not a real calendar date"),
        (4, "metric", "arrr", "unknown metric id: not in the metric catalog"),
        (5, "value", "lots", "not a number"),
    ]
    assert not [button for button in at.button if button.key == "upload_commit"]

    good = metrics_file([("2026-11-01", line, "arr", str(value)) for line, value in NOVEMBER_ARR.items()])
    at.file_uploader(key="upload_file_metrics").upload("november.csv", good, "text/csv").run()
    assert not at.exception
    assert not at.error
    preview = " ".join(markdown.value for markdown in at.markdown)
    stored_rows = len(read_rows("metrics"))
    assert "**5 rows**" in preview
    assert "product lines: Atlas, Beacon, Cirrus, Drift, Ember" in preview
    assert (
        f"Against version 0: **5 added**, **0 changed**, **0 removed**, {stored_rows:,} unchanged — "
        f"{stored_rows:,} rows now, {stored_rows + 5:,} after the commit."
    ) in preview
    commit = next(button for button in at.button if button.key == "upload_commit")
    assert commit.label == "Commit as version 1"
    commit.click().run()
    assert not at.exception
    assert any("as metrics version 1" in success.value for success in at.success)
    cards = " ".join(markdown.value for markdown in at.markdown)
    assert f"**Version** 1  \n**Rows** {stored_rows + 5:,}" in cards
    assert "store, version 1: november.csv (append)" in cards

    at.switch_page("app_pages/overview.py").run()
    at.segmented_control(key="granularity").set_value("month").run()
    assert not at.exception
    assert not at.warning  # the untouched date range moved with the new data, without a widget warning
    arr = at.metric[0]
    total = sum(NOVEMBER_ARR.values())  # ARR is a stock: November's value per line, added across lines
    assert arr.label == "ARR"
    assert arr.value == f"${total / 1_000_000:.1f}M"
    assert at.caption[0].value.startswith("Nov 2026 vs Oct 2026 · all 5 product lines")


def test_a_workbook_sheet_can_be_chosen(app: Callable[..., AppTest]) -> None:
    workbook = (ROOT / "tests" / "fixtures" / "uploads" / "two_sheets.xlsx").read_bytes()
    at = app(page="data")
    at.selectbox(key="upload_dataset").set_value("targets").run()
    at.segmented_control(key="upload_mode").set_value("replace").run()
    at.file_uploader(key="upload_file_targets").upload("plan.xlsx", workbook, XLSX).run()
    assert not at.exception
    assert at.selectbox(key="upload_sheet_targets").options == ["Metrics", "Targets"]
    assert any(
        "plan.xlsx was not committed" in error.value for error in at.error
    )  # the Metrics sheet is no target list
    at.selectbox(key="upload_sheet_targets").set_value("Targets").run()
    assert not at.exception
    assert not at.error
    preview = " ".join(markdown.value for markdown in at.markdown)
    assert "plan.xlsx: **1 rows**" in preview
    assert "read as XLSX, sheet 'Targets'" in preview
    stored_targets = len(read_rows("targets"))
    # the file's one target (ARR for the company, Q1 2025) replaces all of them: that key changes, the rest go
    assert (
        f"**0 added**, **1 changed**, **{stored_targets - 1:,} removed**, 0 unchanged — "
        f"{stored_targets:,} rows now, 1 after the commit."
    ) in preview


def test_a_colleague_committing_first_makes_the_preview_stale_and_says_what_changed(
    app: Callable[..., AppTest],
) -> None:
    at = app(page="data")
    mine = metrics_file([("2026-11-01", "Atlas", "arr", "27900000")])
    at.file_uploader(key="upload_file_metrics").upload("mine.csv", mine, "text/csv").run()
    commit = next(button for button in at.button if button.key == "upload_commit")
    assert commit.label == "Commit as version 1"

    # meanwhile a colleague commits Beacon's November ARR through their own session (the same store)
    store = open_store(os.environ["PILLARS_STORE_URL"])
    try:
        theirs = check_upload(
            store,
            "theirs.csv",
            metrics_file([("2026-11-01", "Beacon", "arr", "23800000")]),
            "metrics",
            "append",
            {"metric_catalog": at_catalog(), "metrics": current_metrics()},
            max_bytes=10_000_000,
        )
        assert commit_upload(store, theirs, "colleague") == 1
    finally:
        store.close()

    commit.click().run()
    assert not at.exception
    warning = " ".join(item.value for item in at.warning)
    assert "Nothing was committed" in warning
    assert "version 0 then, version 1 now" in warning
    added = next(frame.value for frame in at.dataframe if list(frame.value["product_line"]) == ["Beacon"])
    assert list(added["value"]) == [23_800_000.0]
