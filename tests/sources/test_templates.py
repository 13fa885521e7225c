"""Tests for sources.templates: the contract as a table of columns, and CSV templates that pass their own checks."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.contracts import CONTRACTS, FEEDBACK, METRICS, PRACTICES, Contract
from sources.files import read_csv_text
from sources.parser import parse_records, parse_table
from sources.templates import CONTRACT_TABLE_SCHEMA, allowed_text, contract_table, key_text, template_csv


def test_contract_table_of_metrics() -> None:
    expected = pl.DataFrame(
        [
            (
                "date",
                "date (YYYY-MM-DD)",
                True,
                "",
                "The day, or the first day of the week or month the value covers.",
                "2025-06-01",
                "day, period, period_start, month, week",
            ),
            (
                "product_line",
                "text",
                True,
                "",
                "Product line the value belongs to.",
                "Atlas",
                "product, line, productline, product line",
            ),
            ("metric", "text", True, "", "Metric id from the metric catalog.", "arr", "metric_id, kpi"),
            ("value", "number", True, "", "The value, in the metric's unit.", "1250000", "amount, val"),
            ("segment", "text", False, "", "Customer segment, when the value is broken down by it.", "Enterprise", ""),
            ("region", "text", False, "", "Region, when the value is broken down by it.", "EMEA", ""),
        ],
        schema=CONTRACT_TABLE_SCHEMA,
        orient="row",
    )
    assert_frame_equal(contract_table(METRICS), expected)


def test_allowed_values_and_bounds_in_words() -> None:
    assert allowed_text(FEEDBACK.column("sentiment")) == "positive, neutral, negative"
    assert allowed_text(FEEDBACK.column("nps_score")) == "0 to 10"
    assert allowed_text(FEEDBACK.column("account_arr")) == "≥ 0"
    assert allowed_text(FEEDBACK.column("text")) == ""
    table = contract_table(PRACTICES)
    assert table.select("column", "type", "required", "allowed").rows() == [
        ("practice", "text", True, ""),
        ("cadence_days", "whole number", True, "≥ 1"),
        ("description", "text", False, ""),
        ("since", "date (YYYY-MM-DD)", False, ""),
    ]


def test_every_contract_has_a_table_row_per_column() -> None:
    for contract in CONTRACTS.values():
        table = contract_table(contract)
        assert table.get_column("column").to_list() == [column.name for column in contract.columns]
        assert table.get_column("required").to_list() == [column.required for column in contract.columns]


def test_key_text() -> None:
    assert key_text(METRICS) == "date, product_line, metric, segment, region"
    assert key_text(FEEDBACK) == "id (id when present, else none)"
    assert key_text(PRACTICES) == "practice"


def test_template_of_practices_is_header_and_example() -> None:
    assert (
        template_csv(PRACTICES)
        == b"practice,cadence_days,description,since\nQBR,91,Quarterly business review,2024-03-01\n"
    )


@pytest.mark.parametrize("contract", list(CONTRACTS.values()), ids=list(CONTRACTS))
def test_every_template_parses_cleanly(contract: Contract) -> None:
    data = template_csv(contract)
    records = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert records[0] == [column.name for column in contract.columns]
    assert len(records) == 2
    parsed = parse_records(contract.file_name, records, contract)
    assert parsed.ok, parsed.problems
    assert parsed.notes == []
    assert parsed.data().height == 1
    # The same bytes read as a file, as they will be when a user saves the template.
    assert parse_table(read_csv_text(contract.file_name, data), contract).ok
