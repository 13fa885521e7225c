"""The feedback sheet reader, with gspread's real client talking to a local Sheets API over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import requests

from sources.sheets import RetryPolicy, SheetConfig, SheetError, SheetRead, cell_text, open_client, read_sheet
from tests.sheets_server import Fault, LocalSheets, Spreadsheet, error_body, metadata, serve, values_range

RECORDINGS = Path(__file__).parents[1] / "fixtures" / "sheets-api-recordings"
KEY = "1FeedbackSheetKey_abcdefghijklmnopqrstuvwxyz01"
FAST = RetryPolicy(timeout=0.5, attempts=3, budget=5.0, first_wait=0.01, max_wait=0.02)
HEADER = ["date", "product_line", "channel", "text", "id", "nps_score"]


@pytest.fixture
def sheets() -> Iterator[LocalSheets]:
    yield from serve()


def read(sheets: LocalSheets, grid: list[list[Any]], **config: Any) -> SheetRead:
    sheets.add(KEY, "Customer feedback", {"Responses": grid})
    client = open_client(sheets.service_account, FAST.timeout, sheets.http_client())
    return read_sheet(client, SheetConfig(KEY, config.pop("worksheet", "Responses"), **config), FAST)


def failing_read(sheets: LocalSheets, config: SheetConfig | None = None) -> SheetError:
    client = open_client(sheets.service_account, FAST.timeout, sheets.http_client())
    with pytest.raises(SheetError) as raised:
        read_sheet(client, config or SheetConfig(KEY, "Responses"), FAST)
    return raised.value


GOOD_ROWS: list[list[Any]] = [
    HEADER,
    [45000, "Atlas", "survey", "Love the new reports", "00123", 9],
    [45001, "Beacon", "support", "Export is slow", "00124", 4.0],
]


def test_reads_typed_cells_as_the_contract_expects(sheets: LocalSheets) -> None:
    result = read(sheets, GOOD_ROWS)

    # serial 45000 = 1899-12-30 + 45000 days = 2023-03-15
    assert result.frame.select("date", "product_line", "id", "nps_score").rows() == [
        (date(2023, 3, 15), "Atlas", "00123", 9),
        (date(2023, 3, 16), "Beacon", "00124", 4),
    ]
    assert (result.title, result.worksheet, result.rows_read, result.rows_skipped) == (
        "Customer feedback",
        "Responses",
        2,
        0,
    )
    assert result.problems.height == 0
    # one token exchange, two metadata reads (open, worksheets) and one values read
    assert [path.split("?")[0] for path in sheets.api.requests] == [
        "POST /token",
        f"GET /v4/spreadsheets/{KEY}",
        f"GET /v4/spreadsheets/{KEY}",
        f"GET /v4/spreadsheets/{KEY}/values/%27Responses%27",
    ]
    values_read = sheets.api.requests[-1]
    assert "valueRenderOption=UNFORMATTED_VALUE" in values_read
    assert "dateTimeRenderOption=SERIAL_NUMBER" in values_read


def test_a_url_works_as_well_as_a_key(sheets: LocalSheets) -> None:
    url = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"
    sheets.add(KEY, "Customer feedback", {"Responses": GOOD_ROWS})
    client = open_client(sheets.service_account, FAST.timeout, sheets.http_client())

    assert read_sheet(client, SheetConfig(url, "Responses"), FAST).rows_read == 2


def test_a_wrong_key_signature_is_refused(sheets: LocalSheets) -> None:
    other = dict(sheets.service_account)
    other["private_key"] = next(serve()).service_account["private_key"]
    sheets.add(KEY, "Customer feedback", {"Responses": GOOD_ROWS})
    client = open_client(other, FAST.timeout, sheets.http_client())

    with pytest.raises(SheetError, match="refused the service account") as raised:
        read_sheet(client, SheetConfig(KEY, "Responses"), FAST)
    assert not raised.value.retryable


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (43831, "2020-01-01"),  # the recording's 2020-01-01
        (36162, "1999-01-02"),  # the recording's 1999-01-02
        (1, "1899-12-31"),
        (45000.5, "2023-03-15 12:00:00"),
    ],
)
def test_serial_dates_become_iso_dates(serial: float, expected: str) -> None:
    assert cell_text(serial, is_date=True) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("00123", "00123"), (4.0, "4"), (0.12, "0.12"), (True, "true"), (None, ""), (84000, "84000")],
)
def test_cells_keep_their_text(value: Any, expected: str) -> None:
    assert cell_text(value, is_date=False) == expected


def test_text_dates_in_a_locale_format_are_reported_not_guessed(sheets: LocalSheets) -> None:
    grid: list[list[Any]] = [
        HEADER,
        ["1/2/2024", "Atlas", "survey", "ok", "1", 9],
        ["2024-01-03", "Atlas", "survey", "fine", "2", 8],
    ]

    result = read(sheets, grid)

    assert result.frame.get_column("date").to_list() == [date(2024, 1, 3)]
    assert result.problems.select("row", "column", "value").rows() == [(2, "date", "1/2/2024")]
    assert result.rows_skipped == 1


def test_retries_a_429_twice_then_succeeds(sheets: LocalSheets) -> None:
    sheets.api.fail_next(Fault(429), Fault(429))

    result = read(sheets, GOOD_ROWS)

    assert result.rows_read == 2
    assert len(sheets.api.sheets_requests()) == 5  # two refused, then metadata ×2 and values


def test_a_persistent_429_gives_up_after_the_attempts(sheets: LocalSheets) -> None:
    sheets.add(KEY, "Customer feedback", {"Responses": GOOD_ROWS})
    sheets.api.fail_next(*[Fault(429)] * 10)

    error = failing_read(sheets)

    assert (error.code, error.retryable) == (429, True)
    assert "Quota exceeded" in str(error)
    assert len(sheets.api.sheets_requests()) == 3


def test_a_500_is_retried_then_reported(sheets: LocalSheets) -> None:
    sheets.add(KEY, "Customer feedback", {"Responses": GOOD_ROWS})
    sheets.api.fail_next(*[Fault(500)] * 3)

    error = failing_read(sheets)

    assert error.code == 500
    assert len(sheets.api.sheets_requests()) == 3


def test_a_timeout_is_retried(sheets: LocalSheets) -> None:
    sheets.add(KEY, "Customer feedback", {"Responses": GOOD_ROWS})
    sheets.api.fail_next(Fault(delay=1.0))
    client = open_client(sheets.service_account, FAST.timeout, sheets.http_client())

    assert read_sheet(client, SheetConfig(KEY, "Responses"), FAST).rows_read == 2


def test_persistent_timeouts_end_within_the_budget(sheets: LocalSheets) -> None:
    sheets.add(KEY, "Customer feedback", {"Responses": GOOD_ROWS})
    sheets.api.fail_next(*[Fault(delay=1.0)] * 5)

    error = failing_read(sheets)

    assert "did not answer in time" in str(error)
    assert error.retryable


def test_a_private_sheet_says_to_share_it_and_is_not_retried(sheets: LocalSheets) -> None:
    sheets.add(KEY, "Secret", {"Responses": GOOD_ROWS}, private=True)

    error = failing_read(sheets)

    assert error.code == 403
    assert "share the sheet" in str(error)
    assert "pillars-reader@pillars-test.iam.gserviceaccount.com" in str(error) or "service account" in str(error)
    assert len(sheets.api.sheets_requests()) == 1


def test_an_unknown_key_says_to_check_it_and_is_not_retried(sheets: LocalSheets) -> None:
    error = failing_read(sheets, SheetConfig("no-such-key", "Responses"))

    assert error.code == 404
    assert "check the key" in str(error)
    assert len(sheets.api.sheets_requests()) == 1


def test_a_missing_worksheet_names_the_ones_there(sheets: LocalSheets) -> None:
    sheets.add(KEY, "Customer feedback", {"Responses": GOOD_ROWS, "Archive": []})

    error = failing_read(sheets, SheetConfig(KEY, "Form answers"))

    assert "no worksheet named 'Form answers'" in str(error)
    assert "'Responses', 'Archive'" in str(error)


def test_an_empty_sheet_is_reported(sheets: LocalSheets) -> None:
    result = read(sheets, [])

    assert result.frame.height == 0
    assert result.problems.get_column("problem").to_list() == ["the file is empty: expected a header row"]


def test_a_header_without_rows_is_reported(sheets: LocalSheets) -> None:
    result = read(sheets, [HEADER])

    assert (result.rows_read, result.frame.height) == (0, 0)
    assert result.problems.get_column("problem").to_list() == ["no data rows below the header"]


def test_duplicate_and_blank_headers_are_reported(sheets: LocalSheets) -> None:
    grid: list[list[Any]] = [
        [*HEADER, "Date", ""],
        [45000, "Atlas", "survey", "ok", "1", 9, 45000, "stray"],
    ]

    result = read(sheets, grid)

    assert result.frame.height == 0
    assert result.problems.select("row", "column", "problem").rows() == [
        (1, "Date", "duplicate column: 'date' and 'Date' both mean 'date'"),
        (1, "(column 8)", "this column has values but no header"),
    ]


def test_extra_columns_are_ignored_and_missing_ones_reported(sheets: LocalSheets) -> None:
    extra = read(sheets, [[*HEADER, "Owner"], [45000, "Atlas", "survey", "ok", "1", 9, "Kim"]])
    assert extra.rows_read == 1
    assert any("column 'Owner' is not part of the feedback contract" in note for note in extra.notes)

    missing = read(sheets, [["date", "product_line", "text"], [45000, "Atlas", "ok"]])
    assert missing.frame.height == 0
    assert missing.problems.get_column("problem").to_list() == [
        "required column 'channel' is missing (the file has: date, product_line, text)"
    ]


def test_blank_rows_are_skipped_and_merged_rows_reported(sheets: LocalSheets) -> None:
    grid: list[list[Any]] = [
        HEADER,
        [45000, "Atlas", "survey", "First", "1", 9],
        [],
        ["", "", "", "", "", ""],
        # a merged product-line cell: only the first row of the merge holds the value
        [45001, "Beacon", "support", "Second", "2"],
        [45002, "", "support", "Third", "3"],
    ]

    result = read(sheets, grid)

    assert result.frame.get_column("id").to_list() == ["1", "2"]
    assert result.problems.select("row", "column", "problem").rows() == [
        (6, "product_line", "required value is missing")
    ]
    assert (result.rows_read, result.rows_skipped) == (3, 1)


def test_a_header_lower_down_and_a_column_mapping(sheets: LocalSheets) -> None:
    grid: list[list[Any]] = [
        ["Feedback log"],
        ["Received", "Product", "Where", "What they said"],
        [45000, "Atlas", "survey", "ok"],
        [45001, "Atlas", "survey", "fine"],
        [45002, "Atlas", "survey", ""],
    ]

    result = read(
        sheets, grid, header_row=2, columns={"Received": "date", "Where": "channel", "What they said": "text"}
    )

    assert result.frame.get_column("date").to_list() == [date(2023, 3, 15), date(2023, 3, 16)]
    assert result.problems.select("row", "column").rows() == [(5, "text")]


def test_duplicate_ids_skip_the_later_row(sheets: LocalSheets) -> None:
    grid: list[list[Any]] = [
        HEADER,
        [45000, "Atlas", "survey", "a", "007", 9],
        [45001, "Atlas", "survey", "b", "007", 9],
    ]

    result = read(sheets, grid)

    assert result.frame.get_column("text").to_list() == ["a"]
    assert result.problems.select("row", "column").rows() == [(3, "id")]


# -- the local API answers like Google's (tests/fixtures/sheets-api-recordings/)


def _recorded(file_name: str, method: str, path_part: str, status: int) -> dict[str, Any]:
    cassette = json.loads((RECORDINGS / file_name).read_text())
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        if request["method"] == method and path_part in request["uri"] and response["status"]["code"] == status:
            body: dict[str, Any] = json.loads(response["body"]["string"])
            return body
    raise AssertionError(f"no {method} {path_part} → {status} in {file_name}")


def _shape(value: Any) -> Any:
    """A JSON value's structure: keys and value types, lists by their first element."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__


def _subset(ours: Any, google: Any, where: str = "") -> None:
    """Every key we send, Google sends too, with a value of the same structure."""
    if isinstance(ours, dict):
        assert isinstance(google, dict), where
        for key, item in ours.items():
            assert key in google, f"{where}.{key} is not in Google's answer"
            _subset(item, google[key], f"{where}.{key}")
    elif isinstance(ours, list):
        assert isinstance(google, list), where
        if ours and google:
            _subset(ours[0], google[0], f"{where}[0]")
    else:
        assert ours == google, f"{where}: {ours} != {google}"


def test_metadata_has_googles_structure() -> None:
    google = _recorded("ClientTest.test_open_by_key_has_metadata.json", "GET", "includeGridData=false", 200)
    ours = metadata("key", Spreadsheet("Feedback", {"Sheet1": [HEADER, [45000, "Atlas", "survey", "ok"]]}))

    _subset(_shape(ours), _shape(google))
    needed = {"spreadsheetId", "properties", "sheets"}
    assert needed <= ours.keys()
    assert set(ours["sheets"][0]["properties"]) == {"sheetId", "title", "index", "sheetType", "gridProperties"}
    assert set(ours["sheets"][0]["properties"]) <= set(google["sheets"][0]["properties"])


def test_values_have_googles_structure() -> None:
    google = _recorded("WorksheetTest.test_get_all_values_date_time_render_options.json", "GET", "SERIAL_NUMBER", 200)
    # the recorded sheet: 2, 2020-01-01 (43831), "string", 53 / 1.5, 0.12, 1999-01-02 (36162)
    ours = values_range("Sheet1", [[2, 43831, "string", 53], [1.5, 0.12, 36162, ""]])

    assert ours == google


def test_error_bodies_have_googles_structure() -> None:
    not_found = _recorded("ClientTest.test_access_non_existing_spreadsheet.json", "GET", "/spreadsheets/test", 404)
    private = _recorded("ClientTest.test_access_private_spreadsheet.json", "GET", "includeGridData", 403)

    assert error_body(404) == not_found
    assert error_body(403) == private
    assert _shape(error_body(429)) == _shape(not_found)
    assert error_body(429)["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_the_server_answers_over_http(sheets: LocalSheets) -> None:
    response = requests.get(f"{sheets.base_url}/v4/spreadsheets/{KEY}", timeout=5)

    assert response.status_code == 401


def test_frames_are_contract_exact(sheets: LocalSheets) -> None:
    result = read(sheets, GOOD_ROWS)

    assert result.frame.schema["date"] == pl.Date()
    assert result.frame.schema["nps_score"] == pl.Int64()
