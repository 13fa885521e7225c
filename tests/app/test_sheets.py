"""Feedback from a Google Sheet as a user sees it: gspread's real client against a local Sheets API over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import ui.sheets
from sources.settings import load_settings
from sources.store import open_store
from tests.sheets_server import Fault, LocalSheets, serve

KEY = "1FeedbackSheetKey_abcdefghijklmnopqrstuvwxyz01"
TITLE = "Customer feedback"
HEADER = ["date", "product_line", "channel", "text", "id", "nps_score"]
GRID: list[list[Any]] = [
    HEADER,
    # serials: 46022 = 2026-01-01 (1899-12-30 + days), so 46235 = 2026-08-01 (day 213 after) and 46236 = 2026-08-02
    [46235, "Atlas", "survey", "Love the new reports", "00123", 9],
    [46236, "Beacon", "support", "Export is slow", "00124", 4],
    [46236, "", "support", "Which line was this?", "00125", 7],
    [],
]


@pytest.fixture
def sheets(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSheets]:
    """A local Sheets API holding the feedback sheet, configured as the app's feedback source."""
    for local in serve():
        local.add(KEY, TITLE, {"Responses": GRID, "Archive": []})
        monkeypatch.setenv("PILLARS_FEEDBACK_SHEET", f"https://docs.google.com/spreadsheets/d/{KEY}/edit")
        monkeypatch.setenv("PILLARS_FEEDBACK_WORKSHEET", "Responses")
        monkeypatch.setenv("PILLARS_FEEDBACK_SERVICE_ACCOUNT", json.dumps(local.service_account))
        monkeypatch.setenv("PILLARS_FEEDBACK_TIMEOUT_SECONDS", "0.5")
        monkeypatch.setattr(ui.sheets, "HTTP_CLIENT", local.http_client())
        # the retry waits are real (jittered, up to 4 s each); the tests shorten them
        monkeypatch.setattr(ui.sheets, "RETRY_WAIT", (0.01, 0.02))
        yield local


def markdown(at: AppTest) -> str:
    return "\n".join(element.value for element in at.markdown)


def values_reads(local: LocalSheets) -> int:
    return sum("/values/" in path for path in local.api.sheets_requests())


def test_the_data_page_shows_the_sheet(app: Callable[..., AppTest], sheets: LocalSheets) -> None:
    at = app(page="data")

    assert not at.exception
    assert not at.error
    text = markdown(at)
    assert f"Google Sheet '{TITLE}' / Responses · 3 rows read, 1 skipped" in text
    assert "**Rows read** 3" in text
    assert "**Rows skipped** 1" in text
    assert "stale" not in text
    # the skipped row, numbered as in the sheet (header = row 1), on the feedback card
    skipped = [frame.value for frame in at.dataframe if "problem" in frame.value.columns]
    assert any(
        frame[["row", "column", "problem"]].values.tolist() == [[4, "product_line", "required value is missing"]]
        for frame in skipped
    )
    assert any("1 row of the sheet was skipped" in caption.value for caption in at.caption)


def test_feedback_uploads_are_switched_off(app: Callable[..., AppTest], sheets: LocalSheets) -> None:
    at = app(page="data")
    at.selectbox(key="upload_dataset").set_value("feedback").run()

    assert any("feedback uploads are switched off" in info.value for info in at.info)
    assert not at.get("file_uploader")


def test_the_customers_page_reads_the_sheet(app: Callable[..., AppTest], sheets: LocalSheets) -> None:
    at = app(page="customers")

    assert not at.exception
    assert f"Google Sheet '{TITLE}' / Responses · 3 rows read, 1 skipped" in markdown(at)


def test_429_twice_then_the_sheet(app: Callable[..., AppTest], sheets: LocalSheets) -> None:
    sheets.api.fail_next(Fault(429), Fault(429))

    at = app(page="data")

    assert not at.warning
    assert "**Rows read** 3" in markdown(at)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Fault(429), "Google Sheets answered 429: Quota exceeded"),
        (Fault(500), "Google Sheets answered 500"),
        (Fault(delay=1.0), "Google Sheets did not answer in time"),
    ],
)
def test_google_down_serves_the_last_good_copy_as_stale(
    app: Callable[..., AppTest], sheets: LocalSheets, fault: Fault, message: str
) -> None:
    at = app(page="data")
    assert "**Rows read** 3" in markdown(at)

    sheets.api.fail_next(*[fault] * 10)
    at.button(key="sheet_refresh").click().run()

    assert not at.exception
    text = markdown(at)
    assert "stale since" in text
    assert "(stale: the last good copy)" in text
    assert "**Rows read** 3" in text
    assert any(message in warning.value and "last good copy" in warning.value for warning in at.warning)


def test_a_failure_is_remembered_for_a_minute(app: Callable[..., AppTest], sheets: LocalSheets) -> None:
    sheets.api.fail_next(*[Fault(503)] * 10)
    at = app(page="data")
    before = len(sheets.api.sheets_requests())

    at.run()
    at.run()

    assert len(sheets.api.sheets_requests()) == before
    assert any("Google Sheets answered 503" in error.value for error in at.error)


def test_a_private_sheet_says_to_share_it(app: Callable[..., AppTest], sheets: LocalSheets) -> None:
    sheets.api.spreadsheets[KEY].private = True

    at = app(page="data")

    assert not at.exception
    assert any("share the sheet with the service account" in error.value for error in at.error)
    assert len(sheets.api.sheets_requests()) == 1  # not retried


def test_an_unknown_key_says_to_check_it(
    app: Callable[..., AppTest], sheets: LocalSheets, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILLARS_FEEDBACK_SHEET", "no-such-key")

    at = app(page="customers")

    assert not at.exception
    assert any("check the key or URL" in error.value for error in at.error)


def test_a_missing_worksheet_names_the_ones_there(
    app: Callable[..., AppTest], sheets: LocalSheets, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILLARS_FEEDBACK_WORKSHEET", "Form answers")

    at = app(page="data")

    assert any("no worksheet named 'Form answers'" in error.value for error in at.error)
    assert any("'Responses', 'Archive'" in error.value for error in at.error)


def test_page_loads_within_the_ttl_make_one_read(app: Callable[..., AppTest], sheets: LocalSheets) -> None:
    at = app(page="customers")
    for _ in range(4):
        at.run()
    at.switch_page("app_pages/data.py").run()
    # 45 more viewers at once, as concurrent sessions would ask
    settings = load_settings()
    store = open_store(settings.store_url)
    try:
        with ThreadPoolExecutor(max_workers=15) as pool:
            states = list(pool.map(lambda _: ui.sheets.sheet_state(settings, store), range(45)))
    finally:
        store.close()

    assert values_reads(sheets) == 1
    assert {state.read.rows_read for state in states if state.read is not None} == {3}


def test_verbatims_show_the_sheet_rows_with_dates_and_zeros_kept(
    app: Callable[..., AppTest], sheets: LocalSheets
) -> None:
    sheets.add(
        KEY,
        TITLE,
        {
            "Responses": [
                [*HEADER, "account"],
                [46235, "Atlas", "survey", "Love the new reports", "00123", 9, "00042"],
                [46236.75, "Beacon", "support", "Export is slow", "00124", 4, "Acme"],
            ]
        },
    )

    at = app(page="customers")

    assert not at.exception
    (table,) = [frame.value for frame in at.dataframe if "text" in frame.value.columns]
    rows = sorted(
        (str(day)[:10], text, account)
        for day, text, account in table[["date", "text", "account"]].itertuples(index=False)
    )
    # 46235 = 2026-08-01 (see GRID); 46236.75 is 2026-08-02 at 18:00, shown as its day
    assert rows == [
        ("2026-08-01", "Love the new reports", "00042"),
        ("2026-08-02", "Export is slow", "Acme"),
    ]


@pytest.mark.parametrize(
    ("grid", "shown"),
    [
        ([], "the file is empty: expected a header row"),
        ([HEADER], "no data rows below the header"),
        ([[*HEADER, "Date"], [46235, "Atlas", "survey", "ok", "1", 9, 46235]], "both mean 'date'"),
        ([[*HEADER, ""], [46235, "Atlas", "survey", "ok", "1", 9, "stray"]], "this column has values but no header"),
        ([["date", "product_line", "text"], [46235, "Atlas", "ok"]], "required column 'channel' is missing"),
        ([HEADER, ["30/07/2026", "Atlas", "survey", "ok", "1", 9]], "ambiguous date"),
    ],
)
def test_a_broken_sheet_is_explained_on_the_data_page(
    app: Callable[..., AppTest], sheets: LocalSheets, grid: list[list[Any]], shown: str
) -> None:
    sheets.add(KEY, TITLE, {"Responses": grid})

    at = app(page="data")

    assert not at.exception
    problems = [frame.value for frame in at.dataframe if "problem" in frame.value.columns]
    assert any(shown in problem for frame in problems for problem in frame["problem"].tolist())
