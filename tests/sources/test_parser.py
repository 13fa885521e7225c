"""The parser on good and bad input: every problem named by row, column and value."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.contracts import CONTRACTS, FEEDBACK, METRIC_CATALOG, METRICS, TARGETS, TEAMS
from sources.parser import DataError, describe_problems, parse_records


def problems_of(records: list[list[str]], contract=METRICS) -> list[tuple[int | None, str | None, str | None, str]]:  # type: ignore[no-untyped-def]
    result = parse_records("test.csv", records, contract)
    return [(row, column, value, problem) for _, row, column, value, problem in result.problems.iter_rows()]


HEADER = ["date", "product_line", "metric", "value"]


def test_good_metrics_match_the_contract_exactly() -> None:
    result = parse_records(
        "m.csv",
        [
            [" Date ", "Product Line", "METRIC", "value", "Segment"],
            ["2025-01-01", "Atlas", "arr", "1200.5", "Enterprise"],
            ["2025-02-01", " Beacon ", "arr", "-3", ""],
        ],
        METRICS,
    )
    assert result.ok
    expected = pl.DataFrame(
        {
            "date": [date(2025, 1, 1), date(2025, 2, 1)],
            "product_line": ["Atlas", "Beacon"],
            "metric": ["arr", "arr"],
            "value": [1200.5, -3.0],
            "segment": ["Enterprise", None],
            "region": [None, None],
        },
        schema=METRICS.schema,
    )
    assert_frame_equal(result.data(), expected)
    assert result.frame.get_column("_row").to_list() == [2, 3]


def test_every_contract_parses_its_own_examples() -> None:
    for contract in CONTRACTS.values():
        header = [column.name for column in contract.columns]
        example = [column.example for column in contract.columns]
        result = parse_records(f"{contract.name}.csv", [header, example], contract)
        assert result.ok, (contract.name, result.problems.to_dicts())
        assert result.data().schema == pl.Schema(contract.schema)


def test_empty_file() -> None:
    assert problems_of([]) == [(None, None, None, "the file is empty: expected a header row")]


def test_header_only_and_blank_rows_only() -> None:
    assert problems_of([HEADER]) == [(2, None, None, "no data rows below the header")]
    assert problems_of([HEADER, ["", "", "", ""], []]) == [(2, None, None, "no data rows below the header")]


def test_missing_required_columns_are_all_named() -> None:
    problems = problems_of([["date", "product_line"], ["2025-01-01", "Atlas"]])
    assert [(row, column) for row, column, _, _ in problems] == [(1, "metric"), (1, "value")]
    assert "the file has: date, product_line" in problems[0][3]


def test_duplicate_and_blank_headers() -> None:
    problems = problems_of([[*HEADER, "Product-Line", ""], ["2025-01-01", "Atlas", "arr", "1", "Atlas", "x"]])
    assert problems == [
        (
            1,
            "Product-Line",
            "Product-Line",
            "duplicate column: 'product_line' and 'Product-Line' both mean 'product_line'",
        ),
        (1, "(column 6)", None, "this column has values but no header"),
    ]


def test_extra_columns_are_ignored_with_a_note() -> None:
    result = parse_records("m.csv", [[*HEADER, "comment"], ["2025-01-01", "Atlas", "arr", "1", "hi"]], METRICS)
    assert result.ok
    assert result.notes == ["m.csv: column 'comment' is not part of the metrics contract and was ignored"]


def test_every_bad_cell_is_reported_with_row_column_and_value() -> None:
    problems = problems_of(
        [
            HEADER,
            ["2025-01-01", "Atlas", "arr", "10"],
            ["2024-02-30", "Atlas", "arr", "11"],
            ["01/02/2024", "Atlas", "arr", "12"],
            ["yesterday", "", "arr", "abc"],
            ["2025-03-01", "Atlas", "arr", "12,5"],
            ["2025-04-01", "Atlas", "", "7.5e400"],
        ]
    )
    assert problems == [
        (3, "date", "2024-02-30", "not a real calendar date"),
        (4, "date", "01/02/2024", "ambiguous date: day and month can't be told apart; write dates as YYYY-MM-DD"),
        (5, "date", "yesterday", "not a date: write dates as YYYY-MM-DD"),
        (5, "product_line", None, "required value is missing"),
        (5, "value", "abc", "not a number"),
        (6, "value", "12,5", "decimal comma: write numbers with a '.' (12.5, not 12,5)"),
        (7, "metric", None, "required value is missing"),
        (7, "value", "7.5e400", "not a number"),
    ]


def test_short_and_long_rows() -> None:
    problems = problems_of([HEADER, ["2025-01-01", "Atlas", "arr"], ["2025-02-01", "Atlas", "arr", "1", "extra"]])
    assert (2, None, None, "the row has 3 cells but the header has 4") in problems
    assert (3, None, None, "the row has 5 cells but the header has 4") in problems


def test_duplicate_keys_point_at_the_first_row() -> None:
    problems = problems_of(
        [
            [*HEADER, "segment"],
            ["2025-01-01", "Atlas", "arr", "1", "SMB"],
            ["2025-01-01", "Atlas", "arr", "2", "Enterprise"],
            ["2025-01-01", "Atlas", "arr", "3", "SMB"],
            ["2025-01-01", "Atlas", "arr", "4", "smb"],
        ]
    )
    assert problems == [
        (
            4,
            "date, product_line, metric, segment, region",
            "date=2025-01-01, product_line=Atlas, metric=arr, segment=SMB, region=",
            "duplicate key: the same date, product_line, metric, segment, region as row 2",
        )
    ]


def test_keys_that_share_values_in_other_columns_or_order_are_not_duplicates() -> None:
    # the first check hashes each row's key: values swapped between columns, or a null in one column and the same
    # text in the next, must still be told apart, and thousands of distinct keys pass it
    header = [*HEADER, "segment", "region"]
    rows = [
        ["2025-01-01", "Atlas", "arr", "1", "SMB", "EMEA"],
        ["2025-01-01", "Atlas", "arr", "2", "EMEA", "SMB"],
        ["2025-01-01", "Atlas", "arr", "3", "", "SMB"],
        ["2025-01-01", "Atlas", "arr", "4", "SMB", ""],
    ]
    rows += [
        [f"2025-{month:02d}-{day:02d}", "Atlas", "arr", "1", f"S{index}", "EMEA"]
        for month in range(1, 13)
        for day in range(1, 29)
        for index in range(3)
    ]
    assert problems_of([header, *rows]) == []
    repeated = problems_of([header, *rows, rows[-1]])
    assert [(row, problem) for row, _, _, problem in repeated] == [
        (len(rows) + 2, f"duplicate key: the same date, product_line, metric, segment, region as row {len(rows) + 1}")
    ]


def test_feedback_without_ids_has_no_key_but_repeated_ids_are_rejected() -> None:
    header = ["date", "product_line", "channel", "text", "id"]
    same_text = ["2025-01-01", "Atlas", "survey", "Great", ""]
    assert problems_of([header, same_text, same_text], FEEDBACK) == []
    problems = problems_of([header, [*same_text[:4], "F1"], [*same_text[:4], "F1"]], FEEDBACK)
    assert problems == [(3, "id", "id=F1", "duplicate key: the same id as row 2")]


def test_allowed_values_bounds_and_whole_numbers() -> None:
    header = ["date", "product_line", "channel", "text", "nps_score", "sentiment", "account_arr"]
    problems = problems_of(
        [
            header,
            ["2025-01-01", "Atlas", "survey", "ok", "11", "Positive", "100"],
            ["2025-01-01", "Atlas", "survey", "ok", "7.5", "happy", "-1"],
            ["2025-01-01", "Atlas", "survey", "N/A", "N/A", "", "n/a"],
        ],
        FEEDBACK,
    )
    assert problems == [
        (2, "nps_score", "11", "above the allowed maximum of 10"),
        (3, "account_arr", "-1", "below the allowed minimum of 0"),
        (3, "nps_score", "7.5", "not a whole number"),
        (3, "sentiment", "happy", "not an allowed value (allowed: positive, neutral, negative)"),
    ]
    result = parse_records("f.csv", [header, ["2025-01-01", "Atlas", "survey", "N/A", "N/A", "Positive", ""]], FEEDBACK)
    row = result.data().row(0, named=True)
    assert (row["text"], row["nps_score"], row["sentiment"]) == ("N/A", None, "positive")


def test_lenient_numbers_are_normalised_and_reported() -> None:
    result = parse_records(
        "m.csv",
        [HEADER, ["2025-01-01", "Atlas", "arr", "$1,234,567.50"], ["2025-02-01", "Atlas", "arr", "12%"]],
        METRICS,
    )
    assert result.ok
    assert result.data().get_column("value").to_list() == [1234567.5, 12.0]
    assert result.notes == [
        "m.csv, column 'value': thousands separators removed in 1 cell",
        "m.csv, column 'value': currency signs removed in 1 cell",
        "m.csv, column 'value': percent signs removed (12% is read as 12) in 1 cell",
    ]


def test_booleans_and_catalog_rules() -> None:
    header = ["metric", "label", "unit", "aggregation", "higher_is_better", "min", "max", "role"]
    problems = problems_of(
        [
            header,
            ["arr", "ARR", "Currency", "last", "Yes", "0", "", "revenue"],
            ["nrr", "NRR", "percent", "median", "maybe", "10", "5", "revenue"],
        ],
        METRIC_CATALOG,
    )
    assert problems == [
        (3, "aggregation", "median", "not an allowed value (allowed: sum, last, mean)"),
        (3, "higher_is_better", "maybe", "not true or false (write true/false, yes/no or 1/0)"),
        (3, "max", "5", "max is below min"),
        (3, "role", "revenue", "only one metric may have the role revenue (row 2 has it already)"),
    ]


def test_date_order_rules() -> None:
    targets = [["metric", "period_start", "period_end", "target"], ["arr", "2025-04-01", "2025-03-31", "10"]]
    assert problems_of(targets, TARGETS) == [(2, "period_end", "2025-03-31", "period_end is before period_start")]
    teams = [["team", "product_line", "active_from", "active_to"], ["Core", "Atlas", "2025-01-01", "2024-12-31"]]
    assert problems_of(teams, TEAMS) == [(2, "active_to", "2024-12-31", "active_to is before active_from")]


def test_iso_datetimes_keep_their_day_with_a_note() -> None:
    result = parse_records("m.csv", [HEADER, ["2025-01-01T10:30:00Z", "Atlas", "arr", "1"]], METRICS)
    assert result.data().get_column("date").to_list() == [date(2025, 1, 1)]
    assert result.notes == ["m.csv, column 'date': times of day dropped from dates in 1 cell"]


def test_a_huge_cell_is_reported_not_kept() -> None:
    problems = problems_of([HEADER, ["2025-01-01", "x" * 200_000, "arr", "1"]])
    assert problems == [(2, "product_line", "x" * 200_000, "the value is longer than 10,000 characters")]


def test_data_error_describes_problems_readably() -> None:
    result = parse_records("m.csv", [HEADER, ["2025-13-01", "Atlas", "arr", "x"]], METRICS)
    error = DataError(result.problems)
    assert str(error) == (
        "2 problems found:\n"
        "- m.csv, row 2, column 'date': not a real calendar date (value '2025-13-01')\n"
        "- m.csv, row 2, column 'value': not a number (value 'x')"
    )
    assert describe_problems(result.problems, limit=1).endswith("- … and 1 more")


@pytest.mark.parametrize("first_row", [1, 5])
def test_row_numbers_follow_the_first_row(first_row: int) -> None:
    result = parse_records("sheet", [HEADER, ["2025-01-01", "Atlas", "arr", "x"]], METRICS, first_row=first_row)
    assert result.problems.get_column("row").to_list() == [first_row + 1]


def test_text_values_that_look_like_null_spellings_are_kept() -> None:
    header = ["date", "product_line", "channel", "text", "segment", "nps_score", "theme"]
    result = parse_records(
        "f.csv",
        [
            header,
            ["2025-01-01", "Atlas", "survey", "NA", "NA", "NA", "None"],
            ["2025-02-01", "Atlas", "survey", "-", "N/A", "-", "null"],
        ],
        FEEDBACK,
    )
    assert result.ok
    assert result.data().select("text", "segment", "nps_score", "theme").rows() == [
        ("NA", "NA", None, "None"),
        ("-", None, None, None),
    ]


MIXED_METRICS = [
    [*HEADER, "segment", "extra"],
    ["2025-01-01", "Atlas", "arr", "1,200", "SMB", ""],
    ["2025-01-01", "Atlas", "arr", "$5", "SMB", ""],  # repeats row 2's key, two parts later when a part is one row
    [""],
    ["2025-01-02T10:00", "Atlas", "arr", "12%", "", ""],
    ["2025-13-01", "Atlas", "", "x", "SMB"],
    ["01/02/2025", "Beacon", "arr", "1,5", "SMB", "", "too many"],
    ["2025-01-03", "Beacon", "arr", "2,000,000", "", ""],
]
CATALOG_RECORDS = [
    ["metric", "label", "unit", "aggregation", "higher_is_better", "min", "max", "role"],
    ["arr", "ARR", "currency", "last", "true", "0", "", "revenue"],
    ["churn", "Churn", "percent", "mean", "false", "10", "5", ""],
    ["mrr", "MRR", "currency", "last", "true", "0", "", "revenue"],
]


@pytest.mark.parametrize("part_rows", [1, 2, 3])
@pytest.mark.parametrize(("records", "contract"), [(MIXED_METRICS, METRICS), (CATALOG_RECORDS, METRIC_CATALOG)])
def test_a_table_parsed_in_parts_is_the_table_parsed_whole(
    monkeypatch: pytest.MonkeyPatch, part_rows: int, records: list[list[str]], contract: object
) -> None:
    # rows are checked and converted a part at a time: problems (keys repeated across parts, one revenue metric),
    # notes (lenient reads counted over every part) and the frame must not depend on where a part ends
    whole = parse_records("m.csv", records, contract)  # type: ignore[arg-type]
    assert whole.problems.height >= 2
    monkeypatch.setattr("sources.parser._PARSE_ROWS", part_rows)
    parts = parse_records("m.csv", records, contract)  # type: ignore[arg-type]
    assert_frame_equal(parts.frame, whole.frame)
    assert_frame_equal(parts.problems, whole.problems)
    assert parts.notes == whole.notes
